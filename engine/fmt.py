"""Numbers in words: the one place that decides how LR Lab prints a number.

The engine's sentences, the figure builders and the pages all print through these functions, so
a learning rate, a share, a loss or a count reads the same everywhere.  Every function returns
:data:`MISSING` for a value that does not exist (None or NaN) and ``inf`` / ``-inf`` for
infinities.

>>> rate(0.07213), rate(1e-5), rate(1.5e-4), rate(3e4), rate(2.0), rate(0.0)
('0.0721', '1e-5', '1.5e-4', '3e+4', '2', '0')
>>> pct(0.1412), pct(0.008), pct(1.0), loss(0.0123456), loss(2345.6), count(409830)
('14%', '0.8%', '100%', '0.0123', '2.35e+3', '409,830')
>>> num(-0.5), num(float("nan")), num(float("inf")), num(None)
('-0.5', '—', 'inf', '—')
"""

from __future__ import annotations

import math

__all__ = [
    "MISSING",
    "RATE_DIGITS",
    "count",
    "factor",
    "latex",
    "loss",
    "num",
    "pct",
    "rate",
    "signed",
]

#: what is printed for a value that does not exist (a run that never reached a target, NaN)
MISSING = "—"
#: significant digits of every printed learning rate (and of beta): 0.0476, 0.105, 1.5e-4
RATE_DIGITS = 3


def _special(v: float | None) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return MISSING
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _sci(v: float, digits: int) -> str:
    """``1e-5``, ``1.5e-4``, ``3e+4``: no padded exponent, no trailing zeros."""
    mantissa, exponent = f"{v:.{max(digits - 1, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    exp = int(exponent)
    return f"{mantissa}e{exp:+d}" if exp > 0 else f"{mantissa}e{exp:d}"


def num(v: float | None, digits: int = 3) -> str:
    """Any quantity: ``digits`` significant digits, plain from 0.001 to 10^4, else scientific.

    >>> num(0.000123), num(12345.0), num(1.0), num(-2.5e-7, 2)
    ('1.23e-4', '1.23e+4', '1', '-2.5e-7')
    """
    s = _special(v)
    if s is not None:
        return s
    v = float(v)
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:
        out = f"{v:.{digits}g}"
        if "e" in out:  # .g switches to scientific when rounding reaches the next decade
            return _sci(v, digits)
        return out
    return _sci(v, digits)


def rate(lr: float | None, digits: int = RATE_DIGITS) -> str:
    """A learning rate (or a hypergradient rate beta) for people.

    Three significant digits everywhere, so neighbouring values on the app's log grids never
    share a label: ``0.0476``, ``1.5e-4``, ``10``.
    """
    return num(lr, digits)


def loss(v: float | None) -> str:
    """A loss value: three significant digits (``0.0123``, ``2.35``, ``2.35e+3``)."""
    return num(v, 3)


def pct(frac: float | None) -> str:
    """A share (0.14 -> ``14%``); one decimal under 9.5% (``0.8%``), so small shares do not
    all read ``0%`` or ``1%``."""
    s = _special(frac)
    if s is not None:
        return s
    v = 100.0 * float(frac)
    if v != 0 and abs(v) < 9.5:
        return f"{v:.1f}%"
    return f"{v:.0f}%"


def count(n: float | None) -> str:
    """A whole count with thousands separators: ``409,830``."""
    s = _special(n)
    if s is not None:
        return s
    return f"{int(round(float(n))):,}"


def factor(v: float | None, digits: int = 3) -> str:
    """How many times (a ratio, a multiplier): whole with thousands separators from 100 up
    (``7,000``, ``1,000``), else :func:`num` (``11.4``, ``0.5``).

    >>> factor(7000.4), factor(1e3), factor(11.42), factor(0.5), factor(float("inf"))
    ('7,000', '1,000', '11.4', '0.5', 'inf')
    """
    s = _special(v)
    if s is not None:
        return s
    return count(v) if abs(float(v)) >= 100 else num(v, digits)


def signed(v: float | None, digits: int = 3) -> str:
    """A change with its sign always shown: ``+0.25``, ``-1.3e-4``, ``0``."""
    s = num(v, digits)
    return s if s.startswith("-") or s in ("0", MISSING) or s == "inf" else "+" + s


def latex(v: float | None, digits: int = 3) -> str:
    r""":func:`num` for a LaTeX formula: ``1.05e+4`` becomes ``1.05\times10^{4}``.

    >>> latex(1.05e4), latex(-2.5e-7), latex(0.3)
    ('1.05\\times10^{4}', '-2.5\\times10^{-7}', '0.3')
    """
    s = num(v, digits)
    if s == MISSING:
        return r"\text{—}"
    if s in ("inf", "-inf"):
        return s.replace("inf", r"\infty")
    if "e" not in s:
        return s
    mantissa, exp = s.split("e")
    exp = exp.lstrip("+")
    return rf"{mantissa}\times10^{{{exp}}}"
