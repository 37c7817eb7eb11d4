"""Trainer speed, by hand: ``python bench/bench_train.py`` (never collected by pytest).

(a) A 100-iteration run of the 64-32-10 ReLU MLP on the digits, batch 64, one learning rate,
    through :func:`engine.train.train`, against a bare numpy loop written out inline below that
    does the same arithmetic (same minibatches, forward, backprop, SGD update) and nothing else:
    no records, no divergence checks, no evaluation.  Target: ratio <= 2.
(b) K = 8 and K = 16 learning rates trained in one batched call against K sequential calls.

One BLAS thread (set before numpy is imported), best of several repeats after a warm-up.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from engine.data import load_dataset  # noqa: E402
from engine.models import ModelSpec, init_params  # noqa: E402
from engine.train import train  # noqa: E402

ITERS = 100
BATCH = 64
LR = 0.1
SEED = 0


def best_of(*fns, repeats: int = 15) -> list[float]:
    """Best wall time in ms of each ``fn()``, interleaved (fair under a noisy, shared CPU)."""
    for fn in fns:
        fn()  # warm-up
    best = [math.inf] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return [1e3 * b for b in best]


def bare_loop(data, spec: ModelSpec) -> float:
    """The same training arithmetic as ``train`` for K = 1, written out with 2-D arrays."""
    X, y = data.X_train, data.y_train
    n = X.shape[0]
    theta = init_params(spec, 1, SEED)[0]
    (W1, b1), (W2, b2) = [(W.copy(), b.copy()) for W, b in spec.unpack(theta)]
    rng = np.random.default_rng(np.random.SeedSequence([SEED, 7]))  # the trainer's stream
    t = 0
    loss = np.nan
    while t < ITERS:
        perm = rng.permutation(n)
        Xe, ye = X[perm], y[perm]
        for s in range(0, n, BATCH):
            if t >= ITERS:
                break
            Xb, yb = Xe[s : s + BATCH], ye[s : s + BATCH]
            B = Xb.shape[0]
            rows = np.arange(B)
            Z1 = Xb @ W1
            Z1 += b1
            np.maximum(Z1, 0.0, out=Z1)
            Z2 = Z1 @ W2
            Z2 += b2
            Z2 -= Z2.max(axis=1, keepdims=True)
            P = np.exp(Z2)
            s_ = P.sum(axis=1, keepdims=True)
            P /= s_
            loss = float(np.log(s_).mean() - Z2[rows, yb].mean())
            P[rows, yb] -= 1.0
            P /= B
            gW2 = Z1.T @ P
            gb2 = P.sum(axis=0)
            dA = P @ W2.T
            dA *= Z1 > 0
            gW1 = Xb.T @ dA
            gb1 = dA.sum(axis=0)
            W1 -= LR * gW1
            b1 -= LR * gb1
            W2 -= LR * gW2
            b2 -= LR * gb2
            t += 1
    return loss


def main() -> None:
    data = load_dataset("digits")
    spec = ModelSpec("mlp", 64, 10, hidden=(32,))
    print(f"digits: {data.n_train} training examples; {spec.describe()}, batch {BATCH}")

    # (a) train() vs the bare loop, K = 1
    h = train(spec, data, [LR], epochs=None, max_iters=ITERS, batch_size=BATCH, seed=SEED)
    bare_last = bare_loop(data, spec)
    print(
        f"same arithmetic: last batch loss train={h.train_loss[0, -1]:.12f} bare={bare_last:.12f}"
    )
    t_bare, t_train, t_train_noeval = best_of(
        lambda: bare_loop(data, spec),
        lambda: train(spec, data, [LR], epochs=None, max_iters=ITERS, batch_size=BATCH),
        lambda: train(
            spec, data, [LR], epochs=None, max_iters=ITERS, batch_size=BATCH, eval_every=ITERS
        ),
        repeats=30,
    )
    print(f"(a) {ITERS} iterations, K=1: bare loop {t_bare:.2f} ms")
    print(f"    train(), validation every epoch: {t_train:.2f} ms  (ratio {t_train / t_bare:.2f})")
    print(
        f"    train(), validation at start/end only: {t_train_noeval:.2f} ms"
        f"  (ratio {t_train_noeval / t_bare:.2f})"
    )

    # (b) batched K rates vs K sequential runs
    for K in (8, 16):
        lrs = np.geomspace(1e-3, 1.0, K)

        def batched(lrs=lrs):
            return train(spec, data, lrs, epochs=None, max_iters=ITERS, batch_size=BATCH)

        def sequential(lrs=lrs):
            return [
                train(spec, data, [lr], epochs=None, max_iters=ITERS, batch_size=BATCH)
                for lr in lrs
            ]

        tb, ts = best_of(batched, sequential, repeats=5)
        print(
            f"(b) K={K:2d}: batched {tb:7.1f} ms, sequential {ts:7.1f} ms, "
            f"speed-up {ts / tb:.1f}x  ({tb / K:.2f} ms per rate batched)"
        )


if __name__ == "__main__":
    main()
