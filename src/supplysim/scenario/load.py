"""Loading scenarios from YAML, with errors a person can act on.

Every problem – a YAML syntax error, a duplicate or unknown key, a value out of
range, a limit of the reader crossed – becomes one :class:`ScenarioError` whose
message names the file, line and column, the key path, what was expected, what
was found and, where possible, a hint. Files are read by
:mod:`~supplysim.scenario.yaml_source`; messages quote values only as short excerpts.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from supplysim.scenario.distributions import Exponential, Poisson
from supplysim.scenario.errors import ScenarioError, clip, excerpt, fmt_path
from supplysim.scenario.hints import (
    duration_text,
    has_time_unit,
    index_problem,
    is_share_path,
    percent_hint,
    unknown_name,
)
from supplysim.scenario.limits import MAX_DEPTH, MAX_NAME, MAX_POLICIES
from supplysim.scenario.merge import MODEL_SECTIONS, merged_policies, override_body
from supplysim.scenario.overrides import NEW_POLICY_HINT, Origin, apply_overrides, command_line, parts, plain
from supplysim.scenario.specs import SWEEP_TAGS, Scenario
from supplysim.scenario.yaml_source import Path_, Source, UnreadableFile, read_text, read_value, read_yaml

__all__ = [
    "MAPPING_LABEL",
    "ScenarioError",
    "ScenarioLike",
    "apply_overrides",
    "key_path_problem",
    "load_scenario",
    "parse_mapping",
    "parse_override",
    "parse_scenario",
    "scenario_source",
    "with_overrides",
]


def _read_yaml(text: str, file: str) -> tuple[dict[str, Any], Source]:
    """The top-level mapping of scenario ``text`` and the positions of its keys."""
    data, src = read_yaml(text, file)
    if data is None:
        raise ScenarioError(
            f"{file}: the file is empty; a scenario needs at least name, horizon, demand, supplier and replenishment"
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{file}:1:1: a scenario must be a mapping of keys (name, horizon, demand, …), found {type(data).__name__}"
        )
    return data, src


def parse_override(text: str) -> tuple[str, Any, Origin]:
    """Parse ``PATH=VALUE`` (VALUE in YAML syntax) from ``--set``; the third element names it in messages."""
    if "=" not in text:
        raise ScenarioError(f"--set {clip(text, 100)}: expected PATH=VALUE, e.g. --set replenishment.reorder_point=40")
    path, raw = text.split("=", 1)
    path = path.strip()
    if not path or any(not part for part in path.split(".")):
        raise ScenarioError(f"--set {clip(text, 100)}: the key path {excerpt(path)} is empty or has an empty part")
    if any(len(part) > MAX_NAME for part in path.split(".")) or path.count(".") >= MAX_DEPTH:
        raise ScenarioError(
            f"--set {clip(text, 100)}: no key path of a scenario is that long "
            f"(at most {MAX_DEPTH} keys of at most {MAX_NAME} characters)"
        )
    try:
        value = read_value(raw, f"--set {clip(text, 100)}") if raw.strip() else None
    except ScenarioError as exc:
        if "not valid YAML" not in str(exc):
            raise
        raise ScenarioError(f"--set {clip(text, 100)}: the value {excerpt(raw)} is not valid YAML") from None
    return path, value, command_line(path, value)


def _walk(data: Any, loc: Sequence[str | int]) -> tuple[Path_, Any, bool]:
    """Follow a pydantic error location through the data, skipping union tags."""
    path: list[str | int] = []
    node = data
    found = True
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]  # type: ignore[index]
            path.append(part)
        elif (
            isinstance(node, dict)
            and isinstance(part, str)
            and part
            in (
                node.get("dist"),
                node.get("policy"),
                node.get("rule"),
            )
        ):
            continue  # discriminated-union tag
        elif isinstance(part, str) and ("[" in part or part.startswith("function") or part in SWEEP_TAGS):
            continue
        else:
            path.append(part)
            found = False
            node = None
    return tuple(path), node, found


def _expected(msg: str) -> str:
    for prefix in ("Input should be ", "Value error, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg[0].lower() + msg[1:] if msg else msg


def _hint(err: Mapping[str, Any], path: Path_, found: Any) -> str | None:
    etype = err["type"]
    ctx = err.get("ctx") or {}
    if etype == "unknown_key":
        close = difflib.get_close_matches(ctx["key"], ctx["allowed"], n=1, cutoff=0.6)
        allowed = ", ".join(ctx["allowed"])
        if close:
            return f"did you mean {close[0]!r}? (allowed here: {allowed})"
        return f"allowed here: {allowed}"
    if etype == "union_tag_invalid":
        tags = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        close = difflib.get_close_matches(str(ctx.get("tag", "")), tags, n=1, cutoff=0.6)
        return f"did you mean {close[0]!r}?" if close else "see docs/scenarios.md for each kind's parameters"
    if etype == "union_tag_not_found":
        return (
            "a random quantity is a number or a mapping with `dist:` "
            "(e.g. {dist: exponential, mean: 7}); see docs/scenarios.md"
        )
    if etype == "literal_error" and isinstance(found, str):
        options = [o.strip().strip("'") for o in str(ctx.get("expected", "")).replace(" or ", ", ").split(",")]
        close = difflib.get_close_matches(found, options, n=1, cutoff=0.5)
        if close:
            return f"did you mean {close[0]!r}?"
    if etype == "missing":
        return f"add `{path[-1]}:` here; see docs/scenarios.md for its meaning and unit"
    if etype == "policy_key":
        return "put experiment settings (horizon, seed, …) at the top level, not inside a policy"
    if etype == "bool_not_number":
        return "true and false (and yes, no, on, off) are booleans in YAML; write the number you mean"
    if etype == "too_long":
        return "see the limits of the reader in docs/scenarios.md#limits-of-the-reader"
    if etype == "data_outside":
        return "move the file into that folder, or, if you trust this scenario, pass --allow-data-outside"
    return None


@dataclass(frozen=True)
class _Wording:
    """The words of a message about a value written in the wrong unit."""

    expected: str | None
    found: str
    hint: str


_DURATION_TYPES = frozenset({"model_attributes_type", "union_tag_not_found", "model_type", "dict_type"})
"""Errors of a distribution-valued key (a duration) given something that is neither a number nor a mapping."""


def _value_wording(etype: str, path: Path_, found: Any, data: Mapping[str, Any]) -> _Wording | None:
    """A share written as a percentage, or a duration written with its unit: the message's words."""
    if path and path[-1] == "shares" and isinstance(found, dict):
        big = [v for v in found.values() if isinstance(v, int | float) and not isinstance(v, bool) and v > 1]
        hint = percent_hint(f"each of {fmt_path(path)}", big[0]) if big else None
        return _Wording(None, excerpt(found, 100), hint) if hint else None
    if is_share_path(path):
        if isinstance(found, str):
            hint = percent_hint(fmt_path(path), _percent_text(found))
            return _Wording(
                "a share in [0, 1]" + (" or a distribution mapping" if _takes_duration(path) else ""),
                f"the text {excerpt(found)}",
                hint or f"{fmt_path(path)} is a share in [0, 1]: write a number, e.g. 0.9 for 90%",
            )
        hint = percent_hint(fmt_path(path), found)
        return _Wording(None, excerpt(found, 100), hint) if hint else None
    if isinstance(found, str):
        unit = data.get("time_unit")
        time_unit = unit if isinstance(unit, str) and unit.strip() else "day"
        if etype in _DURATION_TYPES and _takes_duration(path):
            dt = duration_text(found, time_unit, distribution=True)
        elif etype in _DURATION_TYPES and Poisson in _models_in(_annotation_at(path)):
            units = _UNITS.match(found)
            write = f"write {units.group(1)} (numbers carry no unit)" if units else "write a whole number, e.g. 2"
            return _Wording(
                "a whole number of units or a distribution mapping",
                f"the text {excerpt(found)}",
                f"{write}, or a distribution such as {{dist: poisson, mean: 2}}",
            )
        elif etype == "float_parsing" and has_time_unit(found):
            dt = duration_text(found, time_unit, distribution=False)
        else:
            return None
        return _Wording(dt.expected, f"the text {excerpt(found)}", dt.hint)
    return None


_UNITS = re.compile(r"^\s*(\d+)\s*(?:units?|pieces?|pcs|items?)\.?\s*$", re.IGNORECASE)
"""A whole number followed by a word for units (``2 units``)."""


def _annotation_at(path: Path_) -> Any:
    """The type of the key at ``path`` of a scenario (through lists, mappings and optional
    values), or None when the path leads nowhere."""
    annotation: Any = Scenario
    for part in path:
        todo, step = [annotation], None
        while todo and step is None:
            tp = todo.pop(0)
            origin = typing.get_origin(tp)
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                keys = _keys_of(tp)
                if isinstance(part, str) and part in keys:
                    step = tp.model_fields[keys[part]].annotation
            elif origin is list and isinstance(part, int):
                step = typing.get_args(tp)[0]
            elif origin is dict:
                step = typing.get_args(tp)[1]
            else:
                todo.extend(typing.get_args(tp))
        if step is None:
            return None
        annotation = step
    return annotation


def _takes_duration(path: Path_) -> bool:
    """True when the key at ``path`` is a duration (a number or a continuous distribution)."""
    return Exponential in _models_in(_annotation_at(path))


def _percent_text(text: str) -> float | None:
    """The number of ``"80%"`` or ``"80 %"``, else None."""
    stripped = text.strip()
    if not stripped.endswith("%"):
        return None
    try:
        return float(stripped[:-1])
    except ValueError:
        return None


def _resolved_view(data: dict[str, Any]) -> dict[str, Any]:
    """The data as the validator sees it: each policy body merged over the base."""
    if "policies" in data and not isinstance(data["policies"], dict | None):
        return data
    return {**data, "policies": merged_policies(data)}


def _location(ctx: Mapping[str, Any]) -> tuple[str | int, ...]:
    """The key path an error of a whole mapping points into (``ctx["at"]``: a key or a path)."""
    at = ctx.get("at")
    if not at:
        return ()
    return tuple(at) if isinstance(at, tuple | list) else (at,)


def _errors_to_message(exc: ValidationError, data: dict[str, Any], src: Source) -> ScenarioError:
    """The one error for every problem of ``exc``: its message, and the key path each is shown at."""
    lines: list[str] = []
    paths: list[Path_] = []
    rules: list[str] = []
    seen: set[tuple[Path_, str]] = set()
    view = _resolved_view(data)
    errors = exc.errors(include_url=False)

    def located(err: Any) -> tuple[Path_, Path_, Any, bool]:
        """The error's key path in the data, where it is shown, the value found there and whether
        the path exists."""
        loc = tuple(err["loc"])
        ctx = err.get("ctx") or {}
        if err["type"] == "unknown_key":
            loc = (*loc, ctx["key"])
        loc = loc + _location(ctx)
        path, found_value, exists = _walk(view, loc)
        # An error inside policies.<name> whose value comes from the base is reported at the base.
        shown = path
        if len(path) >= 2 and path[0] == "policies":
            inner = path[2:]
            written = ("policies", path[1], *inner) in src.positions or src.set_by_option(path)
            if not written and inner and inner[0] in MODEL_SECTIONS:
                shown = inner
        return path, shown, found_value, exists

    # a base value that fails under every policy is the base's problem: no policy is named for it
    placed = [(err, *located(err)) for err in errors]
    failing: dict[tuple[Path_, str], set[Any]] = {}
    for err, path, shown, _, _ in placed:
        if shown != path:
            failing.setdefault((shown, err["msg"]), set()).add(path[1])
    policies = data.get("policies")
    everywhere = len(policies) if isinstance(policies, dict) else 1
    for err, path, shown, found_value, exists in placed:
        etype = err["type"]
        ctx = err.get("ctx") or {}
        where = src.where(shown, key=etype in ("unknown_key", "missing"))
        key = (shown, err["msg"])
        if key in seen:
            continue
        seen.add(key)
        paths.append(shown)
        policy_note = ""
        if shown != path and len(path) >= 2 and "policies" in data and len(failing[key]) < everywhere:
            policy_note = f" (in policy {path[1]!r})"
        if etype == "unknown_key":
            rules.append(f"{fmt_path(shown)}{policy_note}: unknown key {excerpt(ctx['key'])}")
            lines.append(f"{where}: {rules[-1]}")
        elif etype == "missing":
            rules.append(f"{fmt_path(shown)}{policy_note}: required key is missing")
            lines.append(f"{where}: {rules[-1]}")
        elif etype == "inert_key":
            stockout = src.where((*path[:-1], "stockout"))
            rules.append(f"{fmt_path(shown)}: cannot act under stockout: {ctx['stockout']}")
            lines.append(f"{where}: {fmt_path(shown)}: cannot act under stockout: {ctx['stockout']} ({stockout})")
            lines.append(f"  why:   {ctx['why']}")
            lines.append(f"  found: {excerpt(found_value, 100)}")
            remove = "remove it"
            if src.overridden and not src.set_by_option(path):
                unset = ctx["unset"]
                py = {"null": "None", "false": "False"}.get(unset, unset)
                remove += f" (or add {src.remedy.format(path='.'.join(map(str, path)), value=unset, py=py)})"
            lines.append(f"  hint:  {remove}, or use stockout: backorder")
            continue
        elif etype == "bound":
            rules.append(f"{fmt_path(shown)}{policy_note}: too large to simulate ({ctx['problem']})")
            lines.append(f"{where}: {fmt_path(shown)}{policy_note}: too large to simulate (docs/limits.md)")
            lines.append(f"  found: {ctx['problem']}")
            lines.append(f"  hint:  {ctx['hint']}")
            continue
        elif etype == "data_outside":
            rules.append(f"{fmt_path(shown)}{policy_note}: a data file inside the scenario's folder")
            lines.append(f"{where}: {fmt_path(shown)}{policy_note}")
            lines.append("  expected: a data file inside the scenario's folder")
            lines.append(f"  found:    {ctx['message']}")
        elif etype == "union_tag_invalid":
            key_name = str(ctx.get("discriminator", "dist")).strip("'")
            tags = str(ctx.get("expected_tags", "")).replace("'", "")
            rules.append(f"{fmt_path((*shown, key_name))}{policy_note}: one of {tags}")
            lines.append(f"{where}: {fmt_path((*shown, key_name))}{policy_note}")
            lines.append(f"  expected: one of {tags}")
            lines.append(f"  found:    {excerpt(ctx.get('tag'))}")
        else:
            wording = _value_wording(etype, shown, found_value, data) if exists else None
            expected = wording.expected if wording and wording.expected else _expected(err["msg"])
            rules.append(f"{fmt_path(shown)}{policy_note}: {expected}")
            lines.append(f"{where}: {fmt_path(shown)}{policy_note}")
            lines.append(f"  expected: {expected}")
            if exists:
                lines.append(f"  found:    {wording.found if wording else excerpt(found_value, 100)}")
            if wording is not None:
                lines.append(f"  hint: {wording.hint}")
                continue
        hint = _hint(err, shown, found_value)
        if hint:
            lines.append(f"  hint: {hint}")
    return ScenarioError("\n".join(lines), paths, rules)


def _check_policy_bodies(data: dict[str, Any], src: Source) -> None:
    """Policies must be a mapping of name → mapping of model sections (located errors)."""
    bodies = data.get("policies")
    if bodies is None:
        return
    if not isinstance(bodies, dict) or not bodies or len(bodies) > MAX_POLICIES:
        raise ScenarioError(
            f"{src.where(('policies',))}: policies\n"
            f"  expected: a non-empty mapping of policy name to overrides, at most {MAX_POLICIES} policies\n"
            f"  found:    {excerpt(bodies, 100) if not isinstance(bodies, dict) else f'{len(bodies):,} policies'}\n"
            "  hint: e.g. `policies: {backorder: {}, out_of_stock: {store: {stockout: lost_sales}}}`"
        )
    for name, body in bodies.items():
        path: Path_ = ("policies", name)
        if body is not None and not isinstance(body, dict):
            raise ScenarioError(
                f"{src.where(path)}: {fmt_path(path)}\n"
                "  expected: a mapping of overrides ({} for the base as written)\n"
                f"  found:    {excerpt(body, 100)}\n"
                "  hint: e.g. `out_of_stock: {store: {stockout: lost_sales}}`"
            )
        for key in body or {}:
            if key not in MODEL_SECTIONS:
                close = difflib.get_close_matches(str(key), MODEL_SECTIONS, n=1, cutoff=0.6)
                hint = (
                    f"did you mean {close[0]!r}? "
                    if close
                    else "experiment settings (horizon, seed, …) belong at the top level; "
                )
                raise ScenarioError(
                    f"{src.where((*path, key), key=True)}: {fmt_path((*path, key))}: "
                    f"a policy cannot override {excerpt(key)}\n"
                    f"  hint: {hint}a policy may override only {', '.join(MODEL_SECTIONS)}"
                )


# --------------------------------------------------------------------------- key paths (sweep:)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The model classes an annotation admits (through unions, optionals and annotations)."""
    found: list[type[BaseModel]] = []
    todo = [annotation]
    while todo:
        tp = todo.pop(0)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            found.append(tp)
        elif typing.get_origin(tp) not in (list, dict):
            todo.extend(typing.get_args(tp))
    return found


def _keys_of(model: type[BaseModel]) -> dict[str, str]:
    """Key (alias or name) → field name of a model."""
    return {(info.alias or name): name for name, info in model.model_fields.items()}


def _unknown(part: str | int, allowed: Sequence[str], where: Sequence[str | int]) -> str:
    close = difflib.get_close_matches(str(part), allowed, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? (allowed here: " if close else "(allowed here: "
    return f"unknown key {excerpt(part)} under {fmt_path(where)}\n  hint: {hint}{', '.join(sorted(allowed))})"


def key_path_problem(scenario: Scenario, dotted: str) -> str | None:
    """Why the key path ``dotted`` (as ``--set`` and ``sweep:`` take it) names no key of ``scenario``, or None.

    The path is followed through the scenario's values, and where a value is unset
    (``null``) through the types of its keys. Under ``policies`` it must name a policy
    of the scenario (new policies are written in the file).
    """
    path = parts(dotted)
    if any(p == "" for p in path):
        return "the key path is empty or has an empty part"
    node: Any = scenario
    annotation: Any = None
    for i, part in enumerate(path):
        above = path[:i]
        if node is None and annotation is not None:  # an unset value: follow the types
            models = _models_in(annotation)
            origin = typing.get_origin(annotation)
            if models:
                allowed = sorted({k for m in models for k in _keys_of(m)})
                owner = next((m for m in models if part in _keys_of(m)), None)
                if owner is None:
                    return _unknown(part, allowed, above)
                annotation = owner.model_fields[_keys_of(owner)[str(part)]].annotation
                continue
            if origin is dict:
                annotation = typing.get_args(annotation)[1]
                continue
            if origin is list:
                return f"{fmt_path(above)} is not set: it has no list item {part}"
            return f"{fmt_path(above)} holds a value, not a mapping"
        if isinstance(node, BaseModel):
            keys = _keys_of(type(node))
            if not isinstance(part, str) or part not in keys:
                return _unknown(part, list(keys), above)
            annotation = type(node).model_fields[keys[part]].annotation
            node = getattr(node, keys[part])
        elif isinstance(node, list):
            if not isinstance(part, int) or part >= len(node):
                return index_problem(fmt_path(above), part, len(node))
            node, annotation = node[part], None
        elif isinstance(node, dict):
            if part in node:
                node, annotation = node[part], None
            elif above == ["policies"]:
                return unknown_name("a policy of this scenario", str(part), node) + NEW_POLICY_HINT
            elif i == len(path) - 1:
                return None  # a new key of a mapping of names (e.g. split shares)
            else:
                return f"{fmt_path(above)} has no key {excerpt(part)}"
        else:
            return f"{fmt_path(above)} holds a value ({excerpt(node)}), not a mapping"
    return None


def _check_sweep(scenario: Scenario, src: Source) -> None:
    """Every key path of ``sweep:`` names a key of the scenario (as ``--set`` would need)."""
    for dotted in scenario.sweep or {}:
        problem = key_path_problem(scenario, dotted)
        if problem is not None:
            where = src.where(("sweep", dotted), key=True)
            raise ScenarioError(f"{where}: sweep: {clip(dotted, 100)}: {problem}")


# --------------------------------------------------------------------------- loading


def _validate(data: dict[str, Any], src: Source, base_dir: str | None, allow_data_outside: bool) -> Scenario:
    _check_policy_bodies(data, src)
    context = {"base_dir": base_dir, "allow_data_outside": allow_data_outside}
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        raise _errors_to_message(exc, data, src) from None
    scenario._origin = src.file
    scenario._base_dir = base_dir
    scenario._allow_data_outside = allow_data_outside
    return scenario


def parse_scenario(
    text: str,
    file: str = "<scenario>",
    overrides: Sequence[tuple[Any, ...]] = (),
    *,
    allow_data_outside: bool = False,
) -> Scenario:
    """Validate scenario YAML ``text`` (``file`` names it in messages).

    Args:
        text: the YAML document.
        file: its path (relative data files are read from its folder; for a name in
            angle brackets such as ``<scenario>``, from the current directory).
        overrides: ``(dotted.path, value[, label])`` applied before validation, like ``--set``.
        allow_data_outside: read data files (``file:``) outside the scenario's folder too.

    Raises:
        ScenarioError: the one message for everything that is wrong.
    """
    data, src = _read_yaml(text, file)
    if overrides:
        data = apply_overrides(data, overrides, src)
    base_dir = str(Path(file).resolve().parent) if not file.startswith("<") else None
    scenario = _validate(data, src, base_dir, allow_data_outside)
    _check_sweep(scenario, src)
    return scenario


def scenario_source(scenario: Scenario) -> dict[str, Any]:
    """Data that validates to ``scenario`` (its current fields, however it was built or copied):
    the base model and experiment settings, and each policy as its difference from the base."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude={"policies"})
    base = {k: data[k] for k in MODEL_SECTIONS if k in data}
    policies = {}
    for name, model in scenario.policies.items():
        body = override_body(base, model.model_dump(mode="json", by_alias=True), keep_kind=True)
        policies[name] = body or {}
    data["policies"] = policies
    return data


_LAST_SOURCE: tuple[weakref.ref[Scenario], dict[str, Any]] | None = None
"""The scenario :func:`with_overrides` last read and its :func:`scenario_source` (never handed out:
:func:`apply_overrides` copies it)."""


def _source_of(scenario: Scenario) -> dict[str, Any]:
    """:func:`scenario_source` of ``scenario``, made once for the scenario given last (a catalog's
    template, a sweep's base): a scenario is frozen, so its source never changes."""
    global _LAST_SOURCE
    last = _LAST_SOURCE
    if last is not None and last[0]() is scenario:
        return last[1]
    source = scenario_source(scenario)
    _LAST_SOURCE = (weakref.ref(scenario), source)
    return source


def with_overrides(scenario: Scenario, overrides: Sequence[tuple[Any, ...]]) -> Scenario:
    """``scenario`` re-validated with more ``(dotted.path, value[, origin])`` overrides (applied
    to the base model, before the policies are merged over it, like ``--set``).

    An override without an origin is named by itself in messages (``store.max_quoted_wait=-1``);
    the points of a sweep or a search name their whole point (:func:`overrides.grid_point`).
    """
    source = _source_of(scenario)
    src = Source(scenario._origin)
    named = [item if len(item) > 2 else (item[0], item[1], plain(item[0], item[1])) for item in overrides]
    data = apply_overrides(source, named, src)
    return _validate(data, src, scenario._base_dir, scenario._allow_data_outside)


ScenarioLike = Scenario | Mapping[str, Any] | str | os.PathLike[str]
"""What the Python API accepts as a scenario: a validated one, its data as a mapping (as
parsed YAML), or the path of its YAML file."""

MAPPING_LABEL = "<scenario mapping>"
"""How messages name a scenario given as a mapping (it has no file and no lines)."""


def _plain(value: Any) -> Any:
    """``value`` as parsed YAML would hold it: mappings as dicts, sequences (not strings) as lists."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def parse_mapping(
    data: Mapping[str, Any],
    overrides: Sequence[tuple[Any, ...]] = (),
    *,
    allow_data_outside: bool = False,
    label: str = MAPPING_LABEL,
) -> Scenario:
    """Validate a scenario given as a mapping (as ``yaml.safe_load`` returns it), with overrides.

    Messages name it ``label`` (there are no lines to point at); relative data files are
    read from the current directory.

    Raises:
        ScenarioError: the one message for everything that is wrong.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(
            f"{label}: a scenario must be a mapping of keys (name, horizon, …), found {type(data).__name__}"
        )
    plain = _plain(data)
    src = Source(label)
    if overrides:
        plain = apply_overrides(plain, overrides, src)
    scenario = _validate(plain, src, None, allow_data_outside)
    _check_sweep(scenario, src)
    return scenario


def load_scenario(
    path: ScenarioLike, overrides: Sequence[tuple[Any, ...]] = (), *, allow_data_outside: bool = False
) -> Scenario:
    """Read and validate a scenario, applying ``--set`` style overrides.

    ``path`` is the path of a YAML file (only a regular file of at most 10 MB of UTF-8
    text is read, see :func:`~supplysim.scenario.yaml_source.read_text` and
    :func:`parse_scenario`), the scenario as a mapping (:func:`parse_mapping`) or a
    :class:`Scenario` (returned as it is, or re-validated with the overrides).

    Args:
        overrides: ``(dotted.path, value)`` pairs (an optional third element, an
            :class:`~supplysim.scenario.overrides.Origin`, names each in messages; without
            it, messages call it ``overrides[i]``).
    """
    if isinstance(path, Scenario):
        return with_overrides(path, overrides) if overrides else path
    if isinstance(path, Mapping):
        return parse_mapping(path, overrides, allow_data_outside=allow_data_outside)
    if not isinstance(path, str | os.PathLike):
        raise ScenarioError(
            f"a scenario is a path to a YAML file, a mapping or a Scenario, found {type(path).__name__}"
        )
    p = Path(path)
    try:
        text = read_text(p)
    except UnreadableFile as exc:
        hint = "\n  hint: check the path; scenarios usually live in scenarios/" if str(exc) == "no such file" else ""
        raise ScenarioError(f"{p}: {exc}{hint}") from None
    return parse_scenario(text, str(p), overrides, allow_data_outside=allow_data_outside)
