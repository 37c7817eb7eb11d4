"""The speed budget in one command: ``python bench/budget.py`` (by hand; never part of the tests).

Runs, one after the other in fresh processes (the trainer benches pin BLAS to one thread before
numpy is imported, so they cannot share a process):

1. ``bench_pages.py``: every page's server rerun time at its defaults and at its most expensive
   settings, with the plotly bytes it sends (budget: < 0.2 s warm rerun at defaults, < ~2 s at
   the most expensive settings, figures well under 1 MB);
2. ``bench_train.py``: the engine's training loop against a bare numpy loop (budget: ratio <= 2)
   and batched K-rate training against K sequential runs;
3. ``bench_range_test.py``: a 100-iteration range test on the digits MLP (budget: well under 1 s);
4. ``bench_resources.py``: start-up time, bytes sent per page and peak server memory in a real
   browser (budget: far under 1 GB).

``python bench/budget.py pages train`` runs only the named parts.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = {
    "pages": "bench_pages.py",
    "train": "bench_train.py",
    "range": "bench_range_test.py",
    "resources": "bench_resources.py",
}


def main(argv: list[str]) -> int:
    chosen = argv or list(PARTS)
    unknown = [a for a in chosen if a not in PARTS]
    if unknown:
        print(f"unknown part(s) {unknown}; choose from {list(PARTS)}")
        return 2
    failed = 0
    for name in chosen:
        print(f"\n=== {name}: {PARTS[name]} ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(HERE / PARTS[name])])
        print(f"--- {name} done in {time.perf_counter() - t0:.1f} s (exit {rc})", flush=True)
        failed |= rc != 0
    return int(failed)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
