"""A lesson's parameters as data: URL keys, labels, bounds, defaults, and the link check.

A lesson's model declares its ``Params`` as a frozen dataclass whose fields are made here::

    @dataclass(frozen=True)
    class Params:
        lr: float = choice("w_lr", "Learning rate lr", (0.1, 0.3, 1.0), 0.3)
        w0: float = number("w_w0", "Start w0", -5.0, 5.0, 4.0, step=0.5)

Each field carries a :class:`Field`: its URL key (also the widget's key), label, default, and
what values it allows.  That one declaration serves the page (widgets are drawn from it), the
link check (:func:`from_query` parses a link's query string into ``Params``), the address bar
(:func:`to_query` writes the canonical link of a view), the teacher's guide, the tests and the
benches.  Nothing here imports Streamlit.

The link check never fails and never guesses silently: every value a link carries is either
applied as written (other spellings of the same number or option are accepted, e.g. ``0``,
``0.0`` and ``off`` for the option labelled ``off`` with value 0) or named in a
:class:`Notice` that says what is shown instead.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class P:
...     lr: float = choice("lr", "Learning rate", (0.1, 0.3, 1.0), 0.3)
...     n: int = number("n", "Steps", 0, 30, 0)
>>> p, notes = from_query(P, {"lr": ["1e-1"], "n": ["2.5"]})
>>> p
P(lr=0.1, n=0)
>>> [n.text for n in notes]
['The link sets **Steps** (`n`) to `2.5`, which is not a whole number; showing the default, 0 instead.']
>>> to_query(p)
{'lr': ['0.1']}
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Field",
    "Notice",
    "choice",
    "field_of",
    "fields",
    "flag",
    "from_query",
    "multi",
    "number",
    "span",
    "text",
    "to_query",
    "to_text",
]

#: the longest text a link value may carry before it is refused outright (typed functions and
#: sequences have their own, smaller, limits)
MAX_RAW = 400
#: how many values of one key a link may carry before the rest are ignored (with a notice)
MAX_VALUES = 16

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Notice:
    """A link value that was not applied as written, and what is shown instead."""

    key: str
    label: str
    given: str
    why: str
    shown: str

    @property
    def text(self) -> str:
        return (
            f"The link sets **{self.label}** (`{self.key}`) to `{self.given}`, which {self.why}; "
            f"showing {self.shown} instead."
        )


@dataclass(frozen=True)
class Field:
    """One lesson parameter: URL key, label, default and allowed values.

    ``kind`` is ``"number"``, ``"choice"`` (one of ``options``), ``"multi"`` (several of
    ``options``), ``"span"`` (a pair from ``options``, low to high), ``"flag"`` or ``"text"``.
    ``names`` are the options' labels on the page and in the link (``None``: ``str(option)``).
    ``aliases`` are older URL keys still read for this field (saved links keep working).
    A ``number`` or ``choice`` whose ``default`` is ``None`` is left to the page: a link
    without the key shows the value the page works out (a surface's own start, rates measured
    for a model); ``auto`` says what that is, for notices.
    """

    key: str
    label: str
    default: Any
    kind: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    integer: bool = False
    options: tuple = ()
    names: tuple[str, ...] | None = None
    max_chars: int = 200
    aliases: tuple[str, ...] = ()
    help: str | None = None
    auto: str = "the value the page works out"
    #: a "multi" field: at most this many options at once (None: any number)
    max_count: int | None = None

    # ------------------------------------------------------------------ labels and text
    def name(self, option: Any) -> str:
        """The label of ``option`` (as the page and the link show it)."""
        if self.names is not None:
            try:  # one dict lookup: widgets call this once per option on every run
                return self._label_of[option]
            except (KeyError, TypeError):  # NaN, unhashable or not an option: compare
                pass
            for o, n in zip(self.options, self.names, strict=True):
                if _same(o, option):
                    return n
        return _plain(option)

    @functools.cached_property
    def _label_of(self) -> dict[Any, str]:
        """``{option: label}`` (1 and 1.0 are one key, as :func:`_same` has them equal)."""
        out: dict[Any, str] = {}
        for o, n in zip(self.options, self.names or (), strict=False):
            try:
                out.setdefault(o, n)
            except TypeError:  # an unhashable option: found by comparison instead
                pass
        return out

    def encode(self, value: Any) -> list[str]:
        """``value`` as URL text (a list: one entry per value)."""
        if self.kind == "flag":
            return ["true" if value else "false"]
        if self.kind in ("multi", "span"):  # nothing chosen: the key with an empty value
            return [self.name(v) for v in value] or [""]
        if self.kind == "choice":
            return [self.name(value)]
        if self.kind == "number":
            return [_plain(value)]
        return [str(value)]

    def show(self, value: Any) -> str:
        """``value`` as a notice prints it."""
        if value is None:
            return self.auto
        if self.kind == "text":
            return f"`{_clip(str(value), 40)}`" if value else "an empty box"
        if self.kind in ("multi", "span"):
            return ", ".join(self.name(v) for v in value) or "none"
        return self.encode(value)[0]

    # ------------------------------------------------------------------ parsing
    def parse(self, raw: Sequence[str]) -> tuple[Any, Notice | None]:
        """The value a link's ``raw`` texts stand for, and a notice if it is not as written."""
        raw = [str(r) for r in raw]
        if self.kind in ("multi", "span"):
            return self._parse_many(raw)
        vals, bad = [], []
        for r in raw[:MAX_VALUES]:
            v, why = self._one(r)
            (bad.append((r, why)) if why else vals.append(v))
        distinct = []
        for v in vals:
            if not any(_same(v, d) for d in distinct):
                distinct.append(v)
        if len(distinct) == 1 and not bad:
            return distinct[0], None
        if distinct:  # several different values, or some bad ones: the last good one wins
            value = vals[-1]
            return value, self._notice(
                raw, f"gives {len(raw)} values for one setting", self.show(value)
            )
        r, why = bad[-1] if bad else ("", "is empty")
        if self.kind == "number" and why.startswith(("lies outside", "is not a multiple")):
            value = self._clamp(_number(r))
            return value, self._notice(raw, why, self.show(value))
        return self.default, self._notice(raw, why, f"the default, {self.show(self.default)}")

    def _notice(self, raw: Sequence[str], why: str, shown: str) -> Notice:
        given = _clip(" & ".join(raw), 60).replace("`", "'")
        given = "".join(c if c.isprintable() else "?" for c in given)
        return Notice(self.key, self.label, given, why, shown)

    def _one(self, r: str) -> tuple[Any, str | None]:
        if len(r) > MAX_RAW:
            return None, f"is longer than {MAX_RAW} characters"
        if self.kind == "text":
            if len(r) > self.max_chars:
                return None, f"is longer than {self.max_chars} characters"
            if any(ord(c) < 32 for c in r):
                return None, "contains control characters"
            return r, None
        s = r.strip()
        if not s:
            return None, "is empty"
        if self.kind == "flag":
            low = s.lower()
            if low in _TRUE:
                return True, None
            if low in _FALSE:
                return False, None
            return None, "is not true or false"
        if self.kind == "choice":
            o = self._option(s)
            return (o, None) if o is not _NO else (None, self._not_a_choice())
        # number
        v = _number(s)
        if v is None:
            return None, "is not a number"
        if not math.isfinite(v):
            return None, "is not a finite number"
        if self.integer and v != int(v):
            return None, "is not a whole number"
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            return None, f"lies outside {_plain(self.lo)} … {_plain(self.hi)}"
        if self.step and not self._on_grid(v):
            return None, f"is not a multiple of the step {_plain(self.step)} from {_plain(self.lo)}"
        return (int(v) if self.integer else float(v)), None

    def _on_grid(self, v: float) -> bool:
        k = (v - (self.lo or 0.0)) / self.step
        return abs(k - round(k)) < 1e-6

    def _clamp(self, v: float | None) -> Any:
        if v is None or not math.isfinite(v):
            return self.default
        if self.lo is not None:
            v = max(v, self.lo)
        if self.hi is not None:
            v = min(v, self.hi)
        if self.step:
            v = (self.lo or 0.0) + round((v - (self.lo or 0.0)) / self.step) * self.step
        return int(round(v)) if self.integer else float(v)

    def _not_a_choice(self) -> str:
        shown = [self.name(o) for o in self.options[:6]]
        more = ", …" if len(self.options) > 6 else ""
        return f"is not one of the choices ({', '.join(shown)}{more})"

    def _option(self, s: str) -> Any:
        """The option that ``s`` names: its label (any case, outer spaces ignored) or its
        number written any way (``0.1``, ``1e-1``, ``.10``); ``_NO`` if none."""
        labels = [self.name(o) for o in self.options]
        for o, lab in zip(self.options, labels, strict=True):
            if s == lab:
                return o
        low = s.casefold()
        for o, lab in zip(self.options, labels, strict=True):
            if low == lab.strip().casefold() or low == _plain(o).casefold():
                return o
        v = _number(s)
        if v is not None and math.isfinite(v):
            for o in self.options:
                ov = _as_number(o)
                if ov is not None and math.isclose(v, ov, rel_tol=1e-9, abs_tol=1e-15):
                    return o
            for o, lab in zip(self.options, labels, strict=True):  # "5" for the option "5%"
                lv = _label_number(lab)
                if lv is not None and math.isclose(v, lv, rel_tol=1e-9, abs_tol=1e-15):
                    return o
        return _NO

    def _parse_many(self, raw: list[str]) -> tuple[Any, Notice | None]:
        if self.kind == "multi" and [r.strip() for r in raw] == [""]:
            return (), None  # nothing chosen (what :meth:`encode` writes for it)
        picked, bad = [], []
        for r in raw[:MAX_VALUES]:
            o = self._option(r.strip()) if len(r) <= MAX_RAW else _NO
            if o is _NO:
                bad.append(r)
            elif not any(_same(o, p) for p in picked):
                picked.append(o)
        order = {id(o): i for i, o in enumerate(self.options)}
        if self.kind == "span":
            if bad or len(picked) != 2 or len(raw) > 2:
                why = (
                    self._not_a_choice()
                    if bad
                    else "needs exactly two values, from and to (repeat the key)"
                )
                return self.default, self._notice(
                    raw, why, f"the default, {self.show(self.default)}"
                )
            lo, hi = sorted(picked, key=lambda o: order[id(o)])
            return (lo, hi), None
        picked.sort(key=lambda o: order[id(o)])
        value = tuple(picked)
        if bad and not picked:  # nothing the link names exists: the default, not nothing
            return self.default, self._notice(
                raw, self._not_a_choice(), f"the default, {self.show(self.default)}"
            )
        if self.max_count is not None and len(value) > self.max_count:
            value = value[: self.max_count]
            return value, self._notice(
                raw, f"picks more than {self.max_count} at once", self.show(value)
            )
        if bad or len(raw) > MAX_VALUES:
            why = self._not_a_choice() if bad else f"gives more than {MAX_VALUES} values"
            return value, self._notice(raw, why, self.show(value))
        return value, None


_NO = object()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return bool(a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b))
    return a == b


def _number(s: str) -> float | None:
    s = s.strip()
    low = s.lower()
    if low in ("inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan"):
        return float(low)
    if not _NUMBER.fullmatch(s):  # ASCII numerals only (no "١٢", no "1_000")
        return None
    try:
        return float(s)
    except (ValueError, OverflowError):
        return None


def _as_number(o: Any) -> float | None:
    if isinstance(o, bool):
        return None
    if isinstance(o, (int, float)):
        return float(o)
    if isinstance(o, str):
        return _number(o)
    return None


def _label_number(label: str) -> float | None:
    s = label.strip()
    if s.endswith("%"):
        v = _number(s[:-1])
        return None if v is None else v / 100
    return None


def _plain(v: Any) -> str:
    """A number as a link writes it: ``4``, ``0.0476``, ``1e-05`` -> ``1e-05`` (repr)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    return str(v)


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


# ---------------------------------------------------------------------- declaring fields


def _field(spec: Field) -> Any:
    default = spec.default
    if isinstance(default, (list, tuple)):
        default = tuple(default)
        spec = dataclasses.replace(spec, default=default)
        return dataclasses.field(default=default, metadata={"spec": spec})
    return dataclasses.field(default=default, metadata={"spec": spec})


def number(
    key: str,
    label: str,
    lo: float,
    hi: float,
    default: float,
    *,
    step: float | None = None,
    integer: bool | None = None,
    aliases: tuple[str, ...] = (),
    help: str | None = None,
    auto: str | None = None,
) -> Any:
    """A number between ``lo`` and ``hi`` (whole if ``default`` is an int).  ``default=None``:
    the page works the value out (``auto`` says what it is) until a link or the learner sets
    one (``integer`` then says whether it is whole)."""
    integer = isinstance(default, int) if integer is None else integer
    extra = {} if auto is None else {"auto": auto}
    return _field(
        Field(
            key,
            label,
            default,
            "number",
            lo,
            hi,
            step,
            integer,
            aliases=aliases,
            help=help,
            **extra,
        )
    )


def choice(
    key: str,
    label: str,
    options: Sequence[Any],
    default: Any,
    *,
    names: Sequence[str] | Mapping[Any, str] | Callable[[Any], str] | None = None,
    aliases: tuple[str, ...] = (),
    help: str | None = None,
    auto: str | None = None,
) -> Any:
    """One of ``options``; ``names`` gives their labels (a list, a dict or a function).
    ``default=None``: the page works the value out (``auto`` says what it is)."""
    options = tuple(options)
    extra = {} if auto is None else {"auto": auto}
    return _field(
        Field(
            key,
            label,
            default,
            "choice",
            options=options,
            names=_names(options, names),
            aliases=aliases,
            help=help,
            **extra,
        )
    )


def multi(
    key: str,
    label: str,
    options: Sequence[Any],
    default: Sequence[Any],
    *,
    names: Sequence[str] | Mapping[Any, str] | Callable[[Any], str] | None = None,
    aliases: tuple[str, ...] = (),
    help: str | None = None,
    max_count: int | None = None,
) -> Any:
    """Any subset of ``options`` (at most ``max_count`` of them), kept in the options' order;
    a link with more keeps the first ``max_count`` in that order, with a notice."""
    options = tuple(options)
    return _field(
        Field(
            key,
            label,
            tuple(default),
            "multi",
            options=options,
            names=_names(options, names),
            aliases=aliases,
            help=help,
            max_count=max_count,
        )
    )


def span(
    key: str,
    label: str,
    options: Sequence[Any],
    default: tuple[Any, Any],
    *,
    names: Sequence[str] | Mapping[Any, str] | Callable[[Any], str] | None = None,
    aliases: tuple[str, ...] = (),
    help: str | None = None,
) -> Any:
    """A range ``(low, high)`` of two of ``options`` (a range slider)."""
    options = tuple(options)
    return _field(
        Field(
            key,
            label,
            tuple(default),
            "span",
            options=options,
            names=_names(options, names),
            aliases=aliases,
            help=help,
        )
    )


def flag(
    key: str, label: str, default: bool = False, *, aliases: tuple[str, ...] = (), help=None
) -> Any:
    """A switch (true / false in the link)."""
    return _field(Field(key, label, bool(default), "flag", aliases=aliases, help=help))


def text(
    key: str,
    label: str,
    default: str,
    *,
    max_chars: int = 200,
    aliases: tuple[str, ...] = (),
    help: str | None = None,
) -> Any:
    """Free text of at most ``max_chars`` characters; the model validates its content."""
    return _field(
        Field(key, label, default, "text", max_chars=max_chars, aliases=aliases, help=help)
    )


def _names(options: tuple, names) -> tuple[str, ...] | None:
    if names is None:
        return None
    if callable(names) and not isinstance(names, Mapping):
        return tuple(str(names(o)) for o in options)
    if isinstance(names, Mapping):
        return tuple(str(names.get(o, _plain(o))) for o in options)
    out = tuple(str(n) for n in names)
    if len(out) != len(options):
        raise ValueError("names must have one label per option")
    return out


# ---------------------------------------------------------------------- Params as a whole


def fields(params: Any) -> dict[str, Field]:
    """``{attribute name: Field}`` of a Params class or instance, in declaration order."""
    out = {}
    for f in dataclasses.fields(params):
        spec = f.metadata.get("spec")
        if spec is not None:
            out[f.name] = spec
    return out


def field_of(params: Any, name: str) -> Field:
    """The :class:`Field` of attribute ``name``."""
    return fields(params)[name]


def from_query(cls: type, query: Mapping[str, Sequence[str] | str]) -> tuple[Any, list[Notice]]:
    """``cls(...)`` from a link's query parameters, and the notices for what was not applied.

    ``query`` maps keys to lists of texts (a key given twice has two texts).  Keys the lesson
    does not know are not its business (other lessons, the app) and are ignored here.
    """
    values, notices = {}, []
    for name, spec in fields(cls).items():
        raw: list[str] = []
        for k in (spec.key, *spec.aliases):
            got = query.get(k)
            if got is None:
                continue
            raw.extend([got] if isinstance(got, str) else list(got))
        if not raw:
            continue
        value, note = spec.parse(raw)
        values[name] = value
        if note is not None:
            notices.append(note)
    return cls(**values), notices


def to_query(params: Any) -> dict[str, list[str]]:
    """The canonical link of ``params``: every value that is not its default, as URL text."""
    out = {}
    for name, spec in fields(params).items():
        value = getattr(params, name)
        if not _same(_norm(value), _norm(spec.default)):
            out[spec.key] = spec.encode(value)
    return out


def to_text(spec: Field, value: Any) -> list[str] | None:
    """URL text for one value (``None`` when it is the default and needs no place in a link)."""
    if _same(_norm(value), _norm(spec.default)):
        return None
    return spec.encode(value)


def _norm(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v
