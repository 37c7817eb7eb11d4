"""Lesson 4: Four regimes. A real classifier trained at very high, high, good and low rates."""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.data import DATASETS, load_dataset
from engine.models import ModelSpec, predict_proba
from engine.train import History, classify_run, train
from engine.verdict import Kind
from lessons.ui import state, widgets
from lessons.ui.fig_training import (
    boundary_figure,
    epoch_means,
    loss_curve_figure,
    metric_curve_figure,
    smooth_losses,
)

PATH = "lessons/four_regimes.py"
#: the four runs: (name, widget key)
SLOTS: tuple[tuple[str, str], ...] = (
    ("very high", "fr_lr_vhigh"),
    ("high", "fr_lr_high"),
    ("good", "fr_lr_good"),
    ("low", "fr_lr_low"),
)


def tidy(lr: float) -> float | int:
    """A rate as the grid holds it: whole numbers as ``int``, so ``str()`` (what the URL holds
    and the slider shows) reads "30", not "30.0"."""
    v = float(lr)
    return int(v) if v >= 1 and v == int(v) else v


#: learning rates offered: 1e-4 ... 1e4 on a log grid with these mantissas
MANTISSAS = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)
LR_GRID: tuple[float | int, ...] = tuple(
    tidy(float(f"{m}e{e}")) for e in range(-4, 4) for m in MANTISSAS
) + (10_000,)
MODELS = ("softmax", "MLP")  # as shown and spelled in the URL; the engine's kind is .lower()
MODEL_NAMES = {"softmax": "softmax regression", "MLP": "MLP (one hidden layer, 32 ReLU)"}
DATA_NAMES = {"digits": "the 8×8 digits", "moons": "two moons", "spirals": "three spirals"}
HIDDEN = (32,)
#: rates that show the four regimes at the default epochs, batch size and seed; loaded whenever
#: the model or the data set changes.  Checked in tests/lessons/test_four_regimes.py: very high
#: diverges, good converges fast, low is still creeping down, and high ends well above good (for
#: softmax it plateaus; for the MLP the band between "high" and "diverged" is too narrow for a
#: clean plateau at these settings, so high there is the largest rate that still converges)
PRESETS: dict[tuple[str, str], tuple[float, float, float, float]] = {
    ("softmax", "digits"): (1e4, 30.0, 1.0, 0.003),
    ("softmax", "moons"): (1e4, 10.0, 1.0, 0.003),
    ("softmax", "spirals"): (1e4, 10.0, 1.0, 0.003),
    ("MLP", "digits"): (10.0, 2.0, 0.3, 0.003),
    ("MLP", "moons"): (30.0, 6.0, 1.0, 0.003),
    ("MLP", "spirals"): (30.0, 10.0, 1.0, 0.003),
}
DEFAULT_MODEL, DEFAULT_DATA = "softmax", "digits"
DEFAULT_RATES = PRESETS[(DEFAULT_MODEL, DEFAULT_DATA)]
EPOCHS_MAX, DEFAULT_EPOCHS = 20, 10
BATCHES, DEFAULT_BATCH = (32, 64, 128, 256), 64
SEED_MAX = 999
CURVES = ("smoothed", "epoch mean", "every minibatch")
GRID = 50  # decision-region grid points per axis
QUIZ_KEY = "fr_quiz"
SHOW_KEY = "fr_show"
#: predict-then-reveal options, one per verdict kind of engine.train.classify_run
QUIZ_KINDS = (Kind.DIVERGED, Kind.PLATEAU, Kind.CONVERGED, Kind.SLOW)
QUIZ_OPTIONS = (
    "It shoots up and blows up (diverges) within a few iterations",
    "It falls at first, then stalls or bounces well above the best run",
    "It drops fast and levels off low",
    "It creeps down slowly and is still falling at the end",
)
PHRASE = {Kind.SLOW: "is converging slowly"}
WHY = {
    Kind.DIVERGED: "Every step overshoots the minimum by more than it started from, so the "
    "overshoots grow until the loss explodes.",
    Kind.PLATEAU: "Each step jumps across the valley instead of into it: the weights bounce "
    "around a region of high loss and never settle.",
    Kind.CONVERGED: "The steps are big enough to make quick progress and small enough to settle "
    "into the valley.",
    Kind.SLOW: "The steps are tiny: every one goes the right way, but it would take "
    "many more epochs to get anywhere.",
}


def fmt_rate(lr: float) -> str:
    """A rate as the sliders show it: "10000", "30", "0.003", "0.00015"."""
    return str(tidy(lr))


# ------------------------------------------------------------------------- cached engine call


@st.cache_data(max_entries=32, show_spinner=False)
def run_four(
    model: str,
    data_name: str,
    rates: tuple[float, ...],
    epochs: int,
    batch: int,
    seed: int,
) -> dict:
    """Train one model per rate in ONE batched engine call; verdicts and decision regions."""
    data = load_dataset(data_name, seed=seed)
    spec = ModelSpec(model.lower(), data.n_features, data.n_classes, hidden=HIDDEN)
    h = train(spec, data, list(rates), epochs=epochs, batch_size=batch, seed=seed)
    verdicts = [classify_run(h, k) for k in range(h.K)]
    out = {"h": h, "verdicts": verdicts, "n_classes": data.n_classes, "regions": None}
    if data.n_features == 2:
        X = np.vstack([data.X_train, data.X_val])
        lo, hi = X.min(axis=0) - 0.4, X.max(axis=0) + 0.4
        gx, gy = np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID)
        xx, yy = np.meshgrid(gx, gy)
        grid = np.column_stack([xx.ravel(), yy.ravel()])
        with np.errstate(all="ignore"):
            proba = predict_proba(spec, h.theta, grid)
        out["regions"] = {
            "gx": gx,
            "gy": gy,
            "proba": proba.reshape(h.K, GRID, GRID, data.n_classes),
            "X": np.asarray(data.X_val),
            "y": np.asarray(data.y_val),
        }
    return out


# ------------------------------------------------------------------------- callbacks


def _apply_preset() -> None:
    """Load the rates that show the four regimes for the chosen model and data set."""
    model = st.session_state.get("fr_model") or DEFAULT_MODEL
    data = st.session_state.get("fr_data") or DEFAULT_DATA
    for (_, key), lr in zip(SLOTS, PRESETS[(model, data)], strict=True):
        st.session_state[key] = tidy(lr)


# ------------------------------------------------------------------------- page parts


def _labels(rates: tuple[float, ...]) -> list[str]:
    return [f"{name}, lr = {fmt_rate(lr)}" for (name, _), lr in zip(SLOTS, rates, strict=True)]


def _controls() -> tuple[str, str, tuple[float, ...]]:
    left, right = st.columns(2, gap="medium")
    with left:
        model = state.segmented(
            "Model",
            MODELS,
            DEFAULT_MODEL,
            key="fr_model",
            on_change=_apply_preset,
            help="Softmax regression: one linear layer. MLP: one hidden layer of 32 ReLU units. "
            "Changing the model loads rates that show the four regimes for it.",
        )
    with right:
        data = state.segmented(
            "Data set",
            DATASETS,
            DEFAULT_DATA,
            key="fr_data",
            on_change=_apply_preset,
            help="Digits: 1,797 handwritten 8×8 images, 10 classes (UCI, CC BY 4.0). Moons and "
            "spirals: 2 features, so the decision regions can be drawn.",
        )
    rates = []
    for row in (SLOTS[:2], SLOTS[2:]):
        cols = st.columns(2, gap="medium")
        for col, (name, key) in zip(cols, row, strict=True):
            with col:
                default = tidy(DEFAULT_RATES[[s[1] for s in SLOTS].index(key)])
                rates.append(
                    float(
                        state.select_slider(
                            f"{name.capitalize()} learning rate",
                            LR_GRID,
                            default,
                            key=key,
                        )
                    )
                )
    st.button(
        f"Suggested rates for {model} on {data}",
        icon=":material/restart_alt:",
        key="fr_suggest",
        on_click=_apply_preset,
        help="Rates that show the four regimes at 10 epochs, batch 64, seed 0.",
    )
    return model, data, tuple(rates)


def _more_controls() -> tuple[int, int, int, str, bool]:
    with widgets.more_controls("More: epochs, batch size, seed, how to draw the loss"):
        epochs = state.slider(
            "Epochs (passes over the training data)", 1, EPOCHS_MAX, DEFAULT_EPOCHS, key="fr_epochs"
        )
        batch = state.select_slider(
            "Minibatch size", BATCHES, DEFAULT_BATCH, key="fr_batch", help="Examples per step."
        )
        seed = state.number_input(
            "Seed (data split, initial weights, minibatch order)",
            0,
            SEED_MAX,
            0,
            step=1,
            key="fr_seed",
        )
        curve = state.segmented(
            "Training loss drawn as",
            CURVES,
            "smoothed",
            key="fr_curve",
            help="smoothed: mean of the last half epoch of minibatches; epoch mean: one point "
            "per epoch; every minibatch: the raw, noisy loss of each step.",
        )
        val = state.toggle("Mark the validation loss after every epoch", True, key="fr_val")
    return int(epochs), int(batch), int(seed), str(curve), bool(val)


def _loss_figure(
    h: History, labels: list[str], curve: str, val: bool, big: bool, styles: tuple[int, ...]
):
    """The loss-vs-epoch figure and the words for its caption (``styles``: each run's look)."""
    d_at = h.diverged_at
    blow = np.array([h.train_loss[k, d] if 0 <= d < h.T else np.nan for k, d in enumerate(d_at)])
    notes = [f"diverged at iteration {d}" for d in d_at]
    kw = {}
    if curve == "epoch mean":
        ipe = h.iters_per_epoch
        means = epoch_means(h.train_loss, ipe)
        for k, d in enumerate(d_at):
            if d >= 0:  # the epoch it blew up in is not a full epoch: the line ends at the ×
                means[k, d // ipe :] = np.nan
        # epoch 0: the untrained model's loss; then the mean of each epoch, at its end
        y = np.column_stack([h.train_loss[:, 0], means])
        x = np.arange(y.shape[1], dtype=np.float64)
        kw["diverged_x"] = np.where(d_at >= 0, d_at / ipe, np.nan)
        what = "the mean training loss of every epoch (drawn at its end; epoch 0: before training)"
    elif curve == "smoothed":
        x = h.epochs
        y = smooth_losses(h.train_loss, max(1, round(h.iters_per_epoch / 2)), ends=d_at)
        what = "the training loss, averaged over the last half epoch of minibatches"
    else:
        x, y = h.epochs, h.train_loss
        what = "the training loss of every minibatch"
    overlay = (h.eval_epochs, h.val_loss, "validation loss") if val else None
    fig = loss_curve_figure(
        x,
        y,
        labels,
        diverged_at=d_at,
        blowup_values=blow,
        notes=notes,
        overlay=overlay,
        y_title="loss",
        x_title="epoch",
        max_points=600,
        styles=styles,
        big=big,
        **kw,
    )
    return fig, what


def _with_regime(df, shown: tuple[int, ...]):
    """Name each row's regime; ``run`` numbers the four slots even when some are withheld."""
    df["run"] = np.asarray(shown)[df["run"].to_numpy()]
    df.insert(1, "regime", np.asarray([s[0] for s in SLOTS], dtype=object)[df["run"].to_numpy()])
    return df


def _regions_figure(res: dict, labels: list[str], big: bool):
    h: History = res["h"]
    reg = res["regions"]
    titles, blank = [], []
    for k, lab in enumerate(labels):
        if h.diverged[k]:
            titles.append(f"{lab}: diverged")
            blank.append(f"diverged at iteration {int(h.diverged_at[k])}:<br>no model to draw")
        else:
            titles.append(f"{lab}: {h.final_val_acc[k]:.0%}")
            blank.append(None)
    names = [f"class {c}" for c in range(res["n_classes"])]
    return boundary_figure(
        reg["gx"],
        reg["gy"],
        reg["proba"],
        reg["X"],
        reg["y"],
        titles,
        blank=blank,
        class_names=names,
        big=big,
    )


@st.cache_resource(max_entries=24, show_spinner=False)
def pictures(
    model: str,
    data_name: str,
    rates: tuple[float, ...],
    epochs: int,
    batch: int,
    seed: int,
    curve: str,
    val: bool,
    big: bool,
    shown: tuple[int, ...] = (0, 1, 2, 3),
) -> dict:
    """Figures and CSV tables of one view, built once (read-only afterwards: Streamlit copies a
    figure before sending it), so a rerun with the same settings costs nothing.

    ``shown``: the runs to draw (the one a learner is asked to predict is withheld until he
    answers); each keeps its colour and dash. Decision regions only come with all four."""
    res = run_four(model, data_name, rates, epochs, batch, seed)
    full: History = res["h"]
    h = full.select(shown)
    labels = [_labels(rates)[k] for k in shown]
    loss, what = _loss_figure(h, labels, curve, val, big, shown)
    names = [lab + (" (diverged)" if h.diverged[k] else "") for k, lab in enumerate(labels)]
    acc = metric_curve_figure(
        h.eval_epochs, h.val_acc, names, chance=1.0 / res["n_classes"], styles=shown, big=big
    )
    every = len(shown) == full.K
    return {
        "loss": loss,
        "loss_what": what,
        "loss_csv": _with_regime(h.to_frame(), shown),
        "acc": acc,
        "acc_csv": _with_regime(h.val_frame(), shown),
        "regions": None
        if res["regions"] is None or not every
        else _regions_figure(res, _labels(rates), big),
    }


def _charts(pics: dict, n_classes: int, val: bool, withheld: str | None = None) -> None:
    st.markdown("**Loss while training**")
    if withheld:
        st.caption(f"One run is not drawn yet ({withheld}): answer the question above to add it.")
    markers = " Markers: the validation loss after every epoch." if val else ""
    widgets.chart(
        pics["loss"],
        key="fr_loss",
        caption=(
            f"Lines: {pics['loss_what']}, on a log scale, one line per learning rate.{markers} "
            "A × marks a run that diverged, at the loss of the minibatch where it blew up (at "
            "the top if it was infinite); after that the run is stopped."
        ),
        data=pics["loss_csv"],
        filename="four-regimes-loss",
    )
    st.markdown("**Validation accuracy**")
    widgets.chart(
        pics["acc"],
        key="fr_acc",
        caption=(
            "Share of the held-out validation examples classified correctly, measured before "
            "training (epoch 0) and after every epoch. The dotted line is chance "
            f"(1 in {n_classes}). A diverged run's line stops where it blew up."
        ),
        data=pics["acc_csv"],
        filename="four-regimes-validation",
    )
    if pics["regions"] is not None:
        st.markdown("**What each model learned**")
        widgets.chart(
            pics["regions"],
            key="fr_regions",
            caption=(
                "The class each trained model predicts at every point of the plane (features "
                "standardised), shaded by its confidence: white = unsure, strong tint = sure. "
                "Dots: the validation points, coloured and shaped by their true class; the "
                "percentage is the validation accuracy."
            ),
        )


#: the run the predict-first question is about (the high rate), withheld until answered
QUIZ_RUN = 1


def _quiz(res: dict, rates: tuple[float, ...], epochs: int) -> bool:
    kind, text = res["verdicts"][QUIZ_RUN]
    answer = QUIZ_KINDS.index(kind) if kind in QUIZ_KINDS else 1
    return widgets.predict(
        QUIZ_KEY,
        f"The **high** rate is lr = {fmt_rate(rates[1])} (the good one is "
        f"{fmt_rate(rates[2])}). The other three runs are drawn below; before you see this one: "
        f"what will its training loss do over {epochs} epochs?",
        list(QUIZ_OPTIONS),
        answer,
        f"At lr = {fmt_rate(rates[1])} the run {PHRASE.get(kind, kind)}: {text}. "
        f"{WHY.get(kind, '')}",
    )


NARRATIVE = (
    "- **Predict first**, then look: one model is trained four times from the same starting "
    "weights on the same minibatches; only the learning rate differs.\n"
    "- **Very high**: the loss shoots up within a few iterations and the run is stopped (×). "
    "**High**: it falls, then bounces around well above the others. **Good**: it drops fast "
    "and levels off low. **Low**: every step helps, but it creeps.\n"
    "- **Move the high rate down a notch at a time**: where does the plateau turn into "
    "convergence? Move the low rate up: how many epochs does it save?\n"
    "- **Accuracy hides it, loss shows it**: the high rate's validation accuracy is close to "
    "the good one's, yet its validation markers sit far above its training loss: its "
    "weights have grown huge, so its wrong answers are very confident ones.\n"
    "- **Switch to the MLP** (suggested rates are loaded): the band between *high* and "
    "*diverged* is much narrower. On **moons** or **spirals** you also see what each model "
    "learned."
)


@st.fragment
def lesson() -> None:
    big = state.lecture()
    model, data, rates = _controls()
    results = st.container()  # filled below, after the secondary controls are read
    epochs, batch, seed, curve, val = _more_controls()
    labels = _labels(rates)
    res = run_four(model, data, rates, epochs, batch, seed)
    h: History = res["h"]
    with results:
        if list(rates) != sorted(rates, reverse=True):
            st.caption(
                "Your four rates are not in the order very high > high > good > low; that is "
                "fine: each verdict describes its own run."
            )
        answered = _quiz(res, rates, epochs)
        show = answered
        if not answered:
            show = state.toggle(
                "Skip the question: show all four runs",
                False,
                key=SHOW_KEY,
                help="For a lecture link: add fr_show=true to open the page with all four "
                "curves drawn.",
            )
        # the run the question is about stays hidden until the learner has answered
        shown = tuple(range(h.K)) if show else tuple(k for k in range(h.K) if k != QUIZ_RUN)
        st.subheader("What happened")
        rows = [
            (lab, kind, text) for lab, (kind, text) in zip(labels, res["verdicts"], strict=True)
        ]
        if not show:
            rows[QUIZ_RUN] = (
                labels[QUIZ_RUN],
                "not shown yet",
                f"trained too ({h.T} iterations, like the others); answer the question above, "
                "or switch on *Skip the question*, to see what it did.",
            )
        widgets.verdicts(rows)
        _charts(
            pictures(model, data, rates, epochs, batch, seed, curve, val, big, shown),
            res["n_classes"],
            val,
            withheld=None if show else labels[QUIZ_RUN],
        )


def main() -> None:
    widgets.header(
        "Four regimes",
        "A real classifier, trained four times with four learning rates: **very high**, "
        "**high**, **good** and **low**. The loss curves tell the four stories every "
        "practitioner learns to read.",
    )
    widgets.narrative(NARRATIVE)
    lesson()
    widgets.next_lesson(PATH)


main()
