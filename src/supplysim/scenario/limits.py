"""The limits of the reader: how large a scenario, a data file or a list may be.

Each bound is far above anything a real scenario needs and far below what would
make validation hang or exhaust memory; crossing one is a located error with a
hint, never a slow failure. Documented in ``docs/scenarios.md#limits-of-the-reader``.
"""

from __future__ import annotations

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_EVENTS",
    "MAX_EXCERPT",
    "MAX_FILE_BYTES",
    "MAX_NAME",
    "MAX_NODES",
    "MAX_POLICIES",
    "MAX_SEGMENTS",
    "MAX_SUPPLIERS",
    "MAX_TEXT",
    "MAX_VALUES",
    "MAX_WINDOWS",
]

MAX_FILE_BYTES = 10_000_000
"""Largest scenario or data (CSV) file [bytes], 10 MB: a year of daily data is a few kB."""

MAX_DEPTH = 50
"""Deepest nesting of mappings and lists; the format itself needs at most 8 levels."""

MAX_ALIASES = 1_000
"""Most alias references (``*name``) in one YAML document."""

MAX_NODES = 250_000
"""Most values (scalars, mappings and lists, aliases expanded) in one YAML document:
stops an alias bomb ("billion laughs") before it is built."""

MAX_VALUES = 100_000
"""Most ``values`` (and ``weights``) of an empirical or choice distribution, inline or from a CSV."""

MAX_POLICIES = 100
"""Most policies of a scenario."""

MAX_SEGMENTS = 100
"""Most customer segments."""

MAX_SUPPLIERS = 100
"""Most suppliers under ``suppliers:``."""

MAX_EVENTS = 1_000
"""Most demand events."""

MAX_WINDOWS = 1_000
"""Most fixed outage windows of one supplier."""

MAX_NAME = 100
"""Longest name (scenario, policy, segment, supplier, event) or ``time_unit`` [characters]."""

MAX_TEXT = 10_000
"""Longest ``description`` [characters]."""

MAX_EXCERPT = 60
"""Longest excerpt of a file's content or a value that a message quotes [characters]."""
