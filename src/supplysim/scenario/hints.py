"""Hints for the mistakes people make most: percentages for shares, units after durations,
misspelt names, list indices out of range. Pure string functions, no I/O.

* :func:`percent_hint` — a share (a probability or a fraction in [0, 1]) written as a
  percentage: ``accept_backorder: 80`` → "write 0.8 for 80%".
* :func:`duration_text` — a duration written with a unit: ``lead_time: 6 weeks`` →
  "write 42" when the scenario's ``time_unit`` is days.
* :func:`did_you_mean` / :func:`unknown_name` — a name that is not one of the allowed ones
  (policies, indicators), with the closest allowed name.
* :func:`index_problem` — a list index that is out of range or not a whole number.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from supplysim.scenario.errors import ScenarioError, clip, excerpt

__all__ = [
    "SHARE_KEYS",
    "UnknownNameError",
    "did_you_mean",
    "duration_text",
    "has_time_unit",
    "index_problem",
    "is_share_path",
    "percent_hint",
    "unknown_name",
]

SHARE_KEYS = frozenset({"share", "accept_backorder", "join", "convert", "yield", "amplitude"})
"""Keys of the scenario whose value is a share in [0, 1] (a probability or a fraction):
``segments[i].share``, ``segments[i].accept_backorder``, ``store.waitlist.join`` and
``convert``, ``supplier.yield``, ``demand.seasonal.amplitude``; the values of
``sourcing.shares`` are shares too (:func:`is_share_path`)."""


def is_share_path(path: Sequence[str | int]) -> bool:
    """True when the key path names a share in [0, 1] (see :data:`SHARE_KEYS`)."""
    if not path:
        return False
    last = path[-1]
    return (isinstance(last, str) and last in SHARE_KEYS) or (len(path) >= 2 and path[-2] == "shares")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def percent_hint(name: str, value: object) -> str | None:
    """ "NAME is a share in [0, 1]: write 0.8 for 80%" when ``value`` looks like a percentage
    (a number in (1, 100]); None otherwise."""
    x = _number(value)
    if x is None or not 1.0 < x <= 100.0:
        return None
    return f"{name} is a share in [0, 1]: write {x / 100:g} for {x:g}%"


# --------------------------------------------------------------------------- durations

_UNIT_DAYS: dict[str, float] = {
    "second": 1 / 86400,
    "minute": 1 / 1440,
    "hour": 1 / 24,
    "day": 1.0,
    "week": 7.0,
    "month": 365 / 12,
    "year": 365.0,
}
"""Length of each time unit in days (a month is a twelfth of a 365-day year)."""

_ALIASES = {
    "s": "second",
    "sec": "second",
    "secs": "second",
    "min": "minute",
    "mins": "minute",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "d": "day",
    "wk": "week",
    "wks": "week",
    "w": "week",
    "mo": "month",
    "y": "year",
    "yr": "year",
    "yrs": "year",
}

_WITH_UNIT = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]+)\.?\s*$")


def _unit(word: str) -> str | None:
    """The canonical name of a time unit word (``weeks`` → ``week``), or None."""
    w = word.strip().lower()
    if w in _ALIASES:
        return _ALIASES[w]
    if w in _UNIT_DAYS:
        return w
    if w.endswith("s") and w[:-1] in _UNIT_DAYS:
        return w[:-1]
    return None


def has_time_unit(text: str) -> bool:
    """True when ``text`` is a number followed by a unit of time (``6 weeks``, ``3d``)."""
    m = _WITH_UNIT.match(text)
    return m is not None and _unit(m.group(2)) is not None


def _plural(unit: str) -> str:
    return unit if unit.endswith("s") else unit + "s"


@dataclass(frozen=True)
class DurationText:
    """A duration written as text, and what to write instead."""

    expected: str
    """What the key takes, in the scenario's time unit."""
    hint: str


def duration_text(text: str, time_unit: str, *, distribution: bool) -> DurationText:
    """The wording for a duration written as ``text`` where a number of ``time_unit`` is expected.

    ``6 weeks`` with ``time_unit: day`` → "write 42 (6 weeks in days)"; the conversion uses
    7 days a week, 365 days a year and a twelfth of that a month. ``distribution``: the key
    also takes a distribution mapping.
    """
    units = _plural(time_unit)
    expected = f"a number of {units} (the scenario's time_unit)"
    if distribution:
        expected += " or a distribution mapping"
    example = "7" + (", or {dist: exponential, mean: 7}" if distribution else "")
    m = _WITH_UNIT.match(text)
    written = _unit(m.group(2)) if m else None
    target = _unit(time_unit)
    if m is None or written is None:
        return DurationText(expected, f"write a number of {units}, e.g. {example}")
    amount = float(m.group(1))
    if target is None:
        return DurationText(
            expected, f"write the number of {units} without a unit; {time_unit!r} is not a unit of time it knows"
        )
    value = amount * _UNIT_DAYS[written] / _UNIT_DAYS[target]
    shown = f"{value:.6g}"
    exact = abs(float(shown) - value) <= 1e-9 * max(1.0, abs(value))
    rule = f"numbers carry no unit: every duration is in {units} (the scenario's time_unit)"
    if written == target:
        return DurationText(expected, f"write {shown}; {rule}")
    given = f"{clip(m.group(1))} {written if amount == 1 else _plural(written)}"
    return DurationText(expected, f"write {shown}{'' if exact else ' (about)'}, {given} in {_plural(target)}; {rule}")


# --------------------------------------------------------------------------- names


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """The allowed name closest to ``name`` (difflib ratio ≥ 0.6, case ignored), or None."""
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    close = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def unknown_name(what: str, name: str, choices: Iterable[str], *, subject: str = "") -> str:
    """ "SUBJECT'proft' is not WHAT; did you mean 'profit'?" — one line; without a close name,
    the choices (cut to about 200 characters).

    Args:
        what: e.g. ``"an indicator of this scenario"``, ``"a policy of this scenario"``.
        subject: what names it, e.g. ``"--kpi "`` (with its trailing space), or empty.
    """
    options = [str(c) for c in choices]
    close = did_you_mean(name, options)
    if close is not None:
        return f"{subject}{excerpt(name)} is not {what}; did you mean {close!r}?"
    listed = ""
    for i, option in enumerate(options):
        if len(listed) + len(option) > 200:
            listed += f", … ({len(options) - i} more)"
            break
        listed += (", " if listed else "") + option
    return f"{subject}{excerpt(name)} is not {what} (choices: {listed})"


class UnknownNameError(ScenarioError, KeyError):
    """A name that is not a policy or an indicator of the scenario.

    A :class:`KeyError` (it is a failed look-up) and a :class:`ScenarioError`; ``str(err)``
    is the whole message, not its ``repr`` as for a plain ``KeyError``.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------- list indices


def index_problem(where: str, part: str | int, length: int) -> str:
    """Why ``part`` is no index of the list ``where`` of ``length`` entries.

    "index 5 out of range: segments has 2 entries (0–1)"; "segments is a list: 'x' is not
    an index (0–1)".
    """
    entries = f"{length} entr{'y' if length == 1 else 'ies'}" + (f" (0–{length - 1})" if length else "")
    if isinstance(part, int):
        return f"index {part} out of range: {where} has {entries}"
    return f"{where} is a list of {entries}: {excerpt(part)} is not an index (write a whole number)"
