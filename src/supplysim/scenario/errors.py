"""The error of the edge, and the pieces of its messages.

Every problem with a scenario becomes one :class:`ScenarioError` whose text is the
complete message. A message may quote what it found, but only as a short,
printable :func:`excerpt`: never a whole document, never a file's content.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from supplysim.scenario.limits import MAX_EXCERPT

__all__ = ["ScenarioError", "clip", "excerpt", "fmt_path"]


class ScenarioError(Exception):
    """An invalid scenario or override. ``str(err)`` is the complete message.

    ``paths`` are the key paths the message's problems are located at (for a problem the
    schema found; empty when the message is about something else, e.g. an option's syntax):
    a caller that varies some keys can tell a bad value of one of them from a rule that
    relates several (located at their section). ``rules`` say each of those problems in a few
    words, in the same order (``replenishment: order_up_to (4) must be greater than
    reorder_point (6)``), for a one-line account where the whole message would be too much.
    """

    def __init__(self, message: str, paths: Sequence[tuple[str | int, ...]] = (), rules: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.paths: tuple[tuple[str | int, ...], ...] = tuple(paths)
        self.rules: tuple[str, ...] = tuple(rules)


def excerpt(value: Any, limit: int = MAX_EXCERPT) -> str:
    """``repr(value)``, cut to at most ``limit`` characters (ending in "…" when cut).

    Bounded in time and size whatever ``value`` holds (a huge list is not rendered
    whole first) and printable: strings are shown as their ``repr``, which escapes
    control characters.
    """
    text = _bounded(value, limit + 1, 0)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip(text: str, limit: int = MAX_EXCERPT) -> str:
    """``text`` without quotes, control characters escaped, cut to ``limit`` characters (ending in "…")."""
    shown = repr(text[: limit + 1])[1:-1]
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _bounded(value: Any, limit: int, depth: int) -> str:
    """``repr(value)``, or a prefix of it at least ``limit`` characters long."""
    if depth > 8:
        return "…"
    if isinstance(value, dict):
        parts, size = [], 2
        for key, item in value.items():
            part = f"{_bounded(key, limit, depth + 1)}: {_bounded(item, limit, depth + 1)}"
            parts.append(part)
            size += len(part) + 2
            if size > limit:
                break
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list | tuple):
        parts, size = [], 2
        for item in value:
            part = _bounded(item, limit, depth + 1)
            parts.append(part)
            size += len(part) + 2
            if size > limit:
                break
        inner = ", ".join(parts)
        if isinstance(value, tuple):
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return f"[{inner}]"
    if isinstance(value, str):
        return repr(value[: limit + 1])
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1000:
        return f"<an integer of about {int(value.bit_length() * 0.30103):,} digits>"
    return repr(value)[: limit + 1]


def fmt_path(path: Sequence[str | int]) -> str:
    """A key path as the docs write it: ``segments[0].patience.mean``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
