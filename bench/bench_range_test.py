"""Range-test timings, by hand: ``python bench/bench_range_test.py``.

A 100-iteration range test (fastai's default: 1e-7 to 10, exponential, stop at 4x the best
smoothed loss) on the digits 64-32-10 MLP with minibatches of 64, on ONE BLAS thread (the
environment variables are set before numpy is imported), as a page would run it.  Reports the
median and best of several repeats, for the run itself and for reading all the suggestions.
The run usually stops early (at the divergence), so the iterations actually run are printed.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.data import load_dataset  # noqa: E402
from engine.models import ModelSpec  # noqa: E402
from engine.optim import Optimizer  # noqa: E402
from engine.range_test import range_test  # noqa: E402

REPEATS = 15


def timed(fn, repeats: int = REPEATS) -> tuple[float, float, object]:
    """(median ms, best ms, last result) of ``repeats`` calls after one warm-up."""
    out = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times), out


def main() -> None:
    data = load_dataset("digits")
    spec = ModelSpec("mlp", 64, 10, hidden=(32,))
    cases = {
        "100 it, SGD": dict(num_iter=100),
        "100 it, SGD, no early stop (max_lr=1)": dict(num_iter=100, max_lr=1.0, stop_factor=None),
        "100 it, Adam": dict(num_iter=100, optimizer=Optimizer("adam")),
        "100 it, SGD, validation every 10": dict(num_iter=100, val_every=10),
        "300 it, SGD": dict(num_iter=300),
    }
    print(f"digits {spec.describe()}, batch 64, 1 BLAS thread, {REPEATS} repeats")
    for name, kw in cases.items():
        med, best, r = timed(lambda kw=kw: range_test(spec, data, batch_size=64, **kw))
        print(f"  {name:42s} {med:7.1f} ms median  {best:7.1f} ms best  ({r.n} iterations run)")
    r = range_test(spec, data, num_iter=100)
    med, best, _ = timed(r.suggestions)
    print(f"  {'all suggestions of a 100-it run':42s} {med:7.2f} ms median  {best:7.2f} ms best")


if __name__ == "__main__":
    main()
