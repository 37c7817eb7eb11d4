"""engine.fmt.rate: every learning rate the app prints."""

import numpy as np
import pytest

from engine.fmt import rate as fmt_lr


@pytest.mark.parametrize(
    ("lr", "text"),
    [
        (0, "0"),
        (1e-5, "1e-5"),
        (1.5e-4, "1.5e-4"),
        (2.5e-7, "2.5e-7"),
        (0.001, "0.001"),
        (0.03, "0.03"),
        (1.0, "1"),
        (30.0, "30"),
        (1e4, "1e+4"),
        (1.5e4, "1.5e+4"),
        (-1e-5, "-1e-5"),
    ],
)
def test_fmt_lr(lr, text):
    assert fmt_lr(lr) == text


def test_fmt_lr_labels_a_log_grid_uniquely_and_round_trips():
    """Select sliders label options with fmt_lr: two options must never share a label."""
    for per_decade in (3, 4, 8):
        grid = np.round(10 ** np.linspace(-7, 1, 8 * per_decade + 1), 12)
        grid = np.unique(np.array([float(f"{x:.2g}") for x in grid]))
        labels = [fmt_lr(x) for x in grid]
        assert len(set(labels)) == len(labels)
        assert np.allclose([float(t) for t in labels], grid, rtol=1e-12)
