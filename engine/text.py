"""Numbers in words: how the engine's sentences (and the pages) print a learning rate."""

from __future__ import annotations

import math

__all__ = ["fmt_rate"]


def fmt_rate(lr: float, digits: int = 4) -> str:
    """A learning rate (or β) for people: 0.1, 0.003, 1e-5, 1.5e-4, 3e+4.

    ``digits`` significant digits from 0.001 to 10^4, else two in scientific notation, so
    neighbouring values on a log grid never share a label.

    >>> fmt_rate(0.07213), fmt_rate(0.07213, 2), fmt_rate(1e-5), fmt_rate(3e4), fmt_rate(0.0)
    ('0.07213', '0.072', '1e-5', '3e+4', '0')
    """
    if lr == 0:
        return "0"
    if not math.isfinite(lr):
        return str(lr)
    if 1e-3 <= abs(lr) < 1e4:
        return f"{lr:.{digits}g}"
    mantissa, exponent = f"{lr:.1e}".split("e")
    mantissa = mantissa.removesuffix(".0")
    exp = int(exponent)
    return f"{mantissa}e{exp:+d}" if exp > 0 else f"{mantissa}e{exp:d}"
