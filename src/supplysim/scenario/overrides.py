"""Overrides: ``(key path, value)`` pairs set on a scenario's data before it is validated.

An override comes from somewhere, and its messages say where (:class:`Origin`): a
``--set`` option on the command line, an entry of ``overrides=`` in a Python call, or a
point of a sweep. Every override must name a place in the data that exists or can be
created: a list index within the list (:func:`~supplysim.scenario.hints.index_problem`),
and under ``policies`` only a policy the scenario has — a new policy is written in the
scenario file, so a misspelt name is refused with the closest one rather than silently
adding a policy.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from supplysim.scenario.errors import ScenarioError, excerpt
from supplysim.scenario.hints import index_problem, unknown_name
from supplysim.scenario.merge import merged_policies
from supplysim.scenario.yaml_source import Source

__all__ = [
    "NEW_POLICY_HINT",
    "Origin",
    "apply_overrides",
    "cell",
    "command_line",
    "grid_point",
    "option",
    "parts",
    "plain",
    "python_argument",
]


@dataclass(frozen=True)
class Origin:
    """How messages name one override."""

    where: str
    """Put where a file error puts ``file:line:col``: ``--set a.b=1 (command line)``."""
    subject: str
    """Names the override in a message about its key path: ``--set a.b``, ``the key path 'a.b'``."""
    remedy: str = "the override ({path!r}, {py})"
    """How to write one more override: ``{path}``, the value as YAML (``{value}``) or Python (``{py}``)."""


def command_line(path: str, value: Any) -> Origin:
    """The origin of ``--set PATH=VALUE``."""
    return Origin(f"--set {path}={excerpt(value)} (command line)", f"--set {path}", "--set {path}={value}")


def option(name: str, value: Any) -> Origin:
    """The origin of a shorthand option such as ``--replications 5``."""
    return Origin(f"{name} {value} (command line)", f"{name} {value}", "--set {path}={value}")


def plain(path: str, value: Any) -> Origin:
    """The origin of an override named by itself (one given to ``with_overrides`` without an origin)."""
    return Origin(f"{path}={excerpt(value)}", f"the key path {path!r}")


def grid_point(point: Sequence[tuple[str, Any]], path: str) -> Origin:
    """The origin of key ``path`` of a point of a search grid: messages name the whole point,
    since a rule that relates several keys is broken by the combination, not by one value."""
    where = "grid point " + ", ".join(f"{k}={excerpt(v)}" for k, v in point)
    return Origin(where, f"the key path {path!r}")


def cell(file: str, row: int, column: str) -> Origin:
    """The origin of one cell of a products table: ``file``, ``row`` as a spreadsheet numbers it
    (the header is row 1) and ``column`` (a key path)."""
    where = f"{file}: row {row}, column {column}"
    return Origin(where, where, "a column {path} with the value {value}")


def python_argument(index: int, path: str, value: Any) -> Origin:
    """The origin of entry ``index`` of ``overrides=`` in a Python call."""
    return Origin(f"overrides[{index}] ({path}={excerpt(value)})", f"overrides[{index}]: the key path {path!r}")


def _default(index: int, path: str, value: Any, label: Any) -> Origin:
    """The origin of an override given without one (a Python call), or with a plain label."""
    if isinstance(label, Origin):
        return label
    if label is not None:
        text = str(label)
        return Origin(text, text)
    return python_argument(index, path, value)


def parts(dotted: str) -> list[str | int]:
    """A dotted key path's parts; a part of digits only is a list index."""
    return [int(p) if p.isdecimal() else p for p in dotted.split(".")]


NEW_POLICY_HINT = "\n  hint: a new policy is added in the scenario file, under `policies:`"
"""Why an override under ``policies`` must name an existing policy."""


def _policy_problem(data: dict[str, Any], name: str | int) -> str | None:
    """Why ``policies.NAME`` names no policy of ``data``, or None."""
    policies = list(merged_policies(data)) if isinstance(data.get("policies"), dict | None) else []
    if not policies or name in policies:
        return None
    return unknown_name("a policy of this scenario", str(name), map(str, policies)) + NEW_POLICY_HINT


def _store_problem(data: dict[str, Any], keys: Sequence[str | int]) -> str | None:
    """Why ``network.stores.NAME…`` (under the base or a policy) names no store of ``data``, or None:
    an override changes the stores of a network, it does not add one (a new name is a typo far
    more often than a new store, which the scenario file says whole)."""
    path = list(keys)
    if path[:2] == ["network", "stores"]:
        at = 2
    elif path[:1] == ["policies"] and path[2:4] == ["network", "stores"]:
        at = 4
    else:
        return None
    if len(path) <= at:
        return None
    network = data.get("network")
    stores = network.get("stores") if isinstance(network, dict) else None
    if not isinstance(stores, dict) or not stores or path[at] in stores:
        return None
    return (
        unknown_name("a store of this network", str(path[at]), map(str, stores))
        + "\n  hint: an override changes a store; add a new store in the scenario file, under network.stores"
    )


def _copied(value: Any, memo: dict[int, Any]) -> Any:
    """``copy.deepcopy(value)`` for parsed data, faster: mappings and lists are copied (an object
    met twice, as YAML anchors make, is copied once and shared again, as ``deepcopy`` does),
    strings, numbers, booleans and None are kept (immutable), anything else is deep-copied
    (sharing ``memo``, which maps ``id`` to copy as ``deepcopy``'s own memo does)."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict or kind is list:
        done = memo.get(id(value))
        if done is not None:
            return done
        if kind is dict:
            out_dict: dict[Any, Any] = {}
            memo[id(value)] = out_dict
            for k, v in value.items():
                out_dict[_copied(k, memo)] = _copied(v, memo)
            return out_dict
        out_list: list[Any] = []
        memo[id(value)] = out_list
        out_list.extend(_copied(v, memo) for v in value)
        return out_list
    return copy.deepcopy(value, memo)


def apply_overrides(
    data: dict[str, Any], overrides: Sequence[tuple[Any, ...]], src: Source | None = None
) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``(dotted.path, value[, origin])`` set.

    Missing mappings on the way are created; a list index must lie within its list, and a
    path under ``policies`` must name an existing policy. The optional third element is
    an :class:`Origin` (or a plain label) naming the override in messages; without it the
    override is named as the Python argument ``overrides[i]``.

    Raises:
        ScenarioError: the path cannot be followed (names the override and the place).
    """
    out: dict[str, Any] = _copied(data, {})
    for index, item in enumerate(overrides):
        dotted, value = item[0], item[1]
        origin = _default(index, dotted, value, item[2] if len(item) > 2 else None)
        keys = parts(dotted)
        if len(keys) >= 2 and keys[0] == "policies":
            problem = _policy_problem(out, keys[1])
            if problem is not None:
                raise ScenarioError(f"{origin.subject}: {problem}")
        problem = _store_problem(out, keys)
        if problem is not None:
            raise ScenarioError(f"{origin.subject}: {problem}")
        node: Any = out
        for i, part in enumerate(keys):
            above = ".".join(map(str, keys[:i])) or "(top level)"
            last = i == len(keys) - 1
            if isinstance(node, list):
                if not isinstance(part, int) or part >= len(node):
                    raise ScenarioError(f"{origin.subject}: {index_problem(above, part, len(node))}")
            elif not isinstance(node, dict):
                raise ScenarioError(f"{origin.subject}: {above} holds a value ({excerpt(node)}), not a mapping")
            if last:
                node[part] = value
                break
            nxt = node.get(part) if isinstance(node, dict) else node[part]
            if nxt is None:
                here = ".".join(map(str, keys[: i + 1]))
                if isinstance(keys[i + 1], int):
                    raise ScenarioError(
                        f"{origin.subject}: {here} is not set, so it has no item {keys[i + 1]}\n"
                        f"  hint: set the whole list, e.g. {origin.remedy.format(path=here, value='[...]', py='[...]')}"
                    )
                nxt = node[part] = {}
            node = nxt
        if src is not None:
            src.overridden[tuple(keys)] = origin.where
            src.remedy = origin.remedy
    return out
