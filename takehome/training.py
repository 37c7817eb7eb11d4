"""PyTorch training on LR Lab's data and model: the same numbers as the page, step by step.

:func:`torch_model_data` writes the helper that loads LR Lab's bundled data through
``engine.data.load_dataset`` (``assets/digits.npz``, split and standardised as on the page),
builds the softmax regression or MLP as ``torch.nn`` layers in float64 from LR Lab's seeded
weights, and a DataLoader that yields LR Lab's minibatches in LR Lab's order.
:func:`torch_training` adds the optimiser, the scheduler and the loop, one run per rate, with
LR Lab's stopping rule for a run that blows up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from engine.data import DATASETS
from engine.models import ACTIVATIONS, ModelSpec
from engine.optim import Optimizer
from engine.train import DEFAULT_BLOWUP_FACTOR
from takehome.optim import as_optimizer, hd_class, optimizer_constructor
from takehome.schedules import ScheduleSpec, scheduler_lr, torch_scheduler
from takehome.snippet import Snippet, ident, join, lit, read_template

__all__ = ["ModelData", "torch_model_data", "torch_training"]

INDENT = "    "


def _model_args(model: str, hidden: Sequence[int], activation: str) -> tuple[str, str]:
    """(the ModelSpec call for data of any size, a description) after validating the values."""
    if model not in ("softmax", "mlp"):
        raise ValueError(f"model must be 'softmax' or 'mlp', got {model!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}")
    widths = tuple(int(h) for h in hidden) if model == "mlp" else ()
    ModelSpec(model, 2, 2, hidden=widths, activation=activation)  # validates the widths
    if model == "softmax":
        return 'ModelSpec("softmax", data.n_features, data.n_classes)', "softmax regression"
    call = (
        f'ModelSpec("mlp", data.n_features, data.n_classes, hidden={lit(widths)}, '
        f"activation={lit(activation)})"
    )
    return call, f"an MLP with hidden layers {widths} ({activation})"


def _seed(seed: int, name: str = "seed") -> int:
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {seed!r}")
    return int(seed)


def _batch(batch_size: int | None) -> int | None:
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1 or None, got {batch_size!r}")
    return int(batch_size)


def _doc(name: str) -> str:
    """A run's name inside a docstring: printable, no quotes or backslashes."""
    return "".join(c for c in name if c.isprintable() and c not in '"\\')


class ModelData:
    """Namespace for the validated data/model values shared by the torch builders."""

    def __init__(
        self,
        dataset: str,
        data_seed: int,
        subset: float,
        model: str,
        hidden: Sequence[int],
        activation: str,
        batch_size: int | None,
        seed: int,
    ) -> None:
        if dataset not in DATASETS:
            raise ValueError(f"unknown data set {dataset!r}; choose one of {DATASETS}")
        sub = float(subset)
        if not 0.0 < sub <= 1.0:
            raise ValueError("subset must lie in (0, 1]")
        self.dataset, self.data_seed, self.subset = dataset, _seed(data_seed, "data_seed"), sub
        self.spec_call, self.words = _model_args(model, hidden, activation)
        self.batch_size, self.seed = _batch(batch_size), _seed(seed)


def torch_model_data(
    *,
    dataset: str = "digits",
    data_seed: int = 0,
    subset: float = 1.0,
    model: str = "mlp",
    hidden: Sequence[int] = (32,),
    activation: str = "relu",
    batch_size: int | None = 64,
    seed: int = 0,
) -> Snippet:
    """The data, the model and the minibatches of a page, for PyTorch.

    Defines ``lrlab_model``, ``LRLabBatches`` and ``lrlab_loader``, then ``data`` (LR Lab's
    :class:`engine.data.Dataset`), ``spec``, ``model`` (torch, float64, LR Lab's seeded
    weights), ``train_loader`` (LR Lab's minibatches of this ``seed``), ``X_val, y_val``
    and ``loss_fn`` (mean cross-entropy, LR Lab's loss).

    Parameters
    ----------
    dataset : {"digits", "moons", "spirals"}
    data_seed : int
        The ``seed`` of :func:`engine.data.load_dataset` (the split; moons/spirals generation).
    subset : float
        Train on this seeded, stratified share of the training part
        (:func:`engine.data.subset_dataset` with ``seed``, as ``train(subset=...)``).
    model : {"softmax", "mlp"}
    hidden, activation
        The MLP's hidden widths and non-linearity.
    batch_size : int or None
        ``None`` is full-batch.
    seed : int
        The training seed: initial weights and minibatch order.
    """
    md = ModelData(dataset, data_seed, subset, model, hidden, activation, batch_size, seed)
    helper, imports = read_template("lrlab_torch.py")
    lines = [
        f"# LR Lab's data ({md.dataset}), split and standardised as on the page",
        f"data = load_dataset({lit(md.dataset)}, seed={lit(md.data_seed)})",
    ]
    imports = (*imports, "from engine.data import load_dataset")
    if md.subset < 1.0:
        lines.append(f"data = subset_dataset(data, {lit(md.subset)}, seed={lit(md.seed)})")
        imports = (*imports, "from engine.data import subset_dataset")
    lines += [
        f"spec = {md.spec_call}",
        f"model = lrlab_model(spec, seed={lit(md.seed)})  # {md.words}, LR Lab's initial weights",
        "train_loader = lrlab_loader(data.X_train, data.y_train, "
        f"batch_size={lit(md.batch_size)}, seed={lit(md.seed)})",
        "X_val, y_val = torch.tensor(data.X_val), torch.tensor(data.y_val)",
        "loss_fn = torch.nn.CrossEntropyLoss()  # mean cross-entropy, as LR Lab",
    ]
    notes = (
        "The torch model starts from LR Lab's seeded weights and sees LR Lab's minibatches in "
        "LR Lab's order, in float64, so its losses match the page's (float32 is fine for real work).",
    )
    return join(
        Snippet(helper, imports, (), ("torch",)),
        Snippet("\n".join(lines), ("import torch", *imports), notes, ("torch",)),
    )


def torch_training(
    *,
    dataset: str = "digits",
    data_seed: int = 0,
    subset: float = 1.0,
    model: str = "mlp",
    hidden: Sequence[int] = (32,),
    activation: str = "relu",
    lrs: Sequence[float] = (0.1,),
    optimizer: Optimizer | str = "sgd",
    schedule: ScheduleSpec | None = None,
    epochs: int | None = 5,
    max_iters: int | None = None,
    batch_size: int | None = 64,
    seed: int = 0,
    schedules: Sequence[tuple[str, ScheduleSpec]] | None = None,
) -> Snippet:
    """Train the page's model in PyTorch: one run per rate (or one run on a schedule, or one
    run per schedule of ``schedules``).

    The loop records, per iteration, the minibatch loss before the update (``losses``) and the
    rate the update used (``rates``), as LR Lab's ``History.train_loss`` and ``History.lr``,
    and stops a run as LR Lab's trainer does: at the first loss that is not finite or exceeds
    ``1000 * max(first loss, 1)``.  ``runs`` maps each rate to ``(losses, rates)``.

    Parameters are those of :func:`torch_model_data`, and

    lrs : sequence of float
        One run per (starting) rate.  Ignored with a schedule, which sets every rate.
    optimizer : engine.optim.Optimizer or str
        Including hypergradient variants (then ``rates`` is the adapted rate).
    schedule : (key, params) or ("warmup", params, (key, params)), optional
        A schedule of :mod:`engine.schedules` (see :func:`takehome.torch_scheduler`).
    epochs, max_iters : int or None
        As :func:`engine.train.train`: at least one of them.
    schedules : sequence of (name, schedule), optional
        One run per schedule, each from the same seeded model on the same minibatches: a
        function per schedule builds its torch scheduler (``make_<key>(optimizer)``), and
        ``runs`` maps each ``name`` to ``(losses, rates)``.
    """
    opt = as_optimizer(optimizer)
    md = ModelData(dataset, data_seed, subset, model, hidden, activation, batch_size, seed)
    if epochs is None and max_iters is None:
        raise ValueError("give epochs or max_iters")
    if epochs is not None:
        epochs = _seed(epochs, "epochs")
    if max_iters is not None:
        max_iters = _seed(max_iters, "max_iters")
    if (schedule is not None or schedules is not None) and opt.hypergrad is not None:
        raise ValueError("a hypergradient optimiser sets its own rate: no schedule with it")
    if schedule is not None and schedules is not None:
        raise ValueError("give schedule or schedules, not both")
    base = torch_model_data(
        dataset=dataset,
        data_seed=data_seed,
        subset=subset,
        model=model,
        hidden=hidden,
        activation=activation,
        batch_size=batch_size,
        seed=seed,
    )
    parts: list[Snippet] = [base]
    if opt.hypergrad is not None:
        parts.append(hd_class())
    comment, call = optimizer_constructor(opt, "lr")
    body = [
        f"model = lrlab_model(spec, seed={lit(md.seed)})",
        "loader = lrlab_loader(data.X_train, data.y_train, "
        f"batch_size={lit(md.batch_size)}, seed={lit(md.seed)})",
        *comment,
        f"optimizer = {call}",
    ]
    sched_notes: tuple[str, ...] = ()
    factories: list[str] = []
    named: list[tuple[str, float, str]] = []  # (run name, the optimiser's lr, its factory)
    if schedules is not None:
        pairs = [(str(n), spec) for n, spec in schedules]
        if not pairs or len({n for n, _ in pairs}) != len(pairs):
            raise ValueError("give one or more (name, schedule) pairs, each its own name")
        notes_seen: list[str] = []
        said: set[str] = set()  # a comment already made above is not repeated
        for name, (key, params, *rest) in pairs:
            then = rest[0] if rest else None
            sch = torch_scheduler(key, params, then)
            notes_seen += sch.notes
            code = [c for c in sch.code.split("\n") if not (c.startswith("#") and c in said)]
            said.update(c for c in code if c.startswith("#"))
            fn = ident(f"make_{key}")
            if any(fn == f for _, _, f in named):
                fn = ident(f"make_{key}_{len(named)}")
            factories += [
                f"def {fn}(optimizer):",
                f'{INDENT}"""{_doc(name)}: this run\'s torch scheduler."""',
                *(INDENT + line for line in code),
                f"{INDENT}return scheduler",
                "",
                "",
            ]
            named.append((name, scheduler_lr(key, params, then), fn))
        sched_notes = tuple(dict.fromkeys(notes_seen))
        body.append("scheduler = make_scheduler(optimizer)")
        run_rates = []
    elif schedule is not None:
        key, params, *rest = schedule
        then = rest[0] if rest else None
        sch = torch_scheduler(key, params, then)
        sched_notes = sch.notes
        body += sch.code.split("\n")
        run_rates = [scheduler_lr(key, params, then)]
    else:
        rates = [float(v) for v in lrs]
        if not rates or not all(math.isfinite(v) and v >= 0 for v in rates):
            raise ValueError("give one or more finite learning rates >= 0")
        run_rates = rates
    loop_head = (
        [f"for epoch in range({lit(epochs)}):"]
        if epochs is not None
        else [f"for epoch in range(math.ceil({lit(max_iters)} / len(loader))):"]
    )
    who = "{name}" if schedules is not None else "lr = {lr:g}"
    step_lines = [
        "X, y = batch",
        "loss = loss_fn(model(X), y)",
        "losses.append(loss.item())",
        "if limit is None:  # LR Lab's blow-up limit, from the first loss",
        f"    limit = {lit(DEFAULT_BLOWUP_FACTOR)} * max(losses[0] if math.isfinite(losses[0]) else 1.0, 1.0)",
        "if not losses[-1] <= limit:  # not finite, or blew up: LR Lab stops the run here",
        "    rates.append(optimizer.param_groups[0]['lr'])",
        f"    print(f'{who}: diverged at iteration {{len(losses) - 1}}')",
        "    return losses, rates",
        "optimizer.zero_grad()",
        "loss.backward()",
        "optimizer.step()",
        "rates.append(optimizer.param_groups[0]['lr'])  # the rate this update used",
    ]
    if schedule is not None or schedules is not None:
        step_lines.append("scheduler.step()")
    if max_iters is not None:
        step_lines += [f"if len(losses) == {lit(max_iters)}:", "    return losses, rates"]
    eval_lines = [
        "with torch.no_grad():",
        "    out = model(X_val)",
        "    val_loss = loss_fn(out, y_val).item()",
        "    acc = (out.argmax(dim=1) == y_val).double().mean().item()",
        f"print(f'{who}, epoch {{epoch + 1}}: validation loss {{val_loss:.4f}}, "
        "accuracy {acc:.3f}')",
    ]
    head = (
        "def train_one(name, lr, make_scheduler):"
        if schedules is not None
        else "def train_one(lr):"
    )
    fn = [
        *factories,
        head,
        f'{INDENT}"""One run: LR Lab\'s seeded model on LR Lab\'s minibatches, starting at rate lr."""',
        *(INDENT + line for line in body),
        f"{INDENT}losses, rates, limit = [], [], None",
        *(INDENT + line for line in loop_head),
        f"{INDENT * 2}for batch in loader:",
        *(INDENT * 3 + line for line in step_lines),
        *(INDENT * 2 + line for line in eval_lines),
        f"{INDENT}return losses, rates",
        "",
        "",
    ]
    if schedules is not None:
        fn += [
            "runs = {",
            *(f"{INDENT}{lit(n)}: train_one({lit(n)}, {lit(r)}, {f})," for n, r, f in named),
            "}",
        ]
    else:
        fn.append(f"runs = {{lr: train_one(lr) for lr in {lit(run_rates)}}}")
    notes = (
        "The loop records the batch loss before each update and the rate that update used, "
        "as LR Lab's History.train_loss and History.lr, and stops a run where LR Lab's trainer "
        "does (a loss that is not finite or exceeds 1000 times the first one).",
        *sched_notes,
    )
    imports = ["import math", "import torch"]
    return join(*parts, Snippet("\n".join(fn), tuple(imports), notes, ("torch",)))
