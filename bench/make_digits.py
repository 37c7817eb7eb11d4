"""One-off converter: write ``assets/digits.npz`` from scikit-learn's bundled copy of the digits.

Run by hand, once: ``pip install scikit-learn && python bench/make_digits.py``.  scikit-learn is
*not* a dependency of LR Lab; the app only reads the ``.npz`` this script writes.

The data are the test part of the UCI "Optical Recognition of Handwritten Digits" set (Alpaydin &
Kaynak 1998, CC BY 4.0): 1,797 images of 8x8 pixels, each pixel a count 0..16, 10 classes.  They
are stored as ``uint8`` arrays ``X`` (1797, 64) and ``y`` (1797,), compressed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "assets" / "digits.npz"


def main() -> None:
    from sklearn.datasets import load_digits  # only here, never at run time

    bunch = load_digits()
    data = np.asarray(bunch.data)
    target = np.asarray(bunch.target)
    assert data.shape == (1797, 64) and target.shape == (1797,)
    assert data.min() >= 0 and data.max() <= 16 and np.all(data == np.round(data))
    X = data.astype(np.uint8)
    y = target.astype(np.uint8)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, X=X, y=y)
    digest = hashlib.sha256(X.tobytes() + y.tobytes()).hexdigest()
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.1f} KiB); sha256(X|y) = {digest}")
    print("class counts:", np.bincount(y).tolist())


if __name__ == "__main__":
    main()
