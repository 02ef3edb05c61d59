"""Loading scenarios from YAML, with errors a person can act on.

Every problem – a YAML syntax error, a duplicate or unknown key, a value out of
range – becomes one :class:`ScenarioError` whose message names the file, line and
column, the key path, what was expected, what was found and, where possible, a hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from supplysim.scenario.merge import MODEL_SECTIONS, merged_policies, override_body
from supplysim.scenario.specs import Scenario

__all__ = ["ScenarioError", "apply_overrides", "load_scenario", "parse_override", "parse_scenario"]

Path_ = tuple[str | int, ...]


class ScenarioError(Exception):
    """An invalid scenario or override. ``str(err)`` is the complete message."""


@dataclass
class _Source:
    """Where each key path of a YAML document came from."""

    file: str
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    overridden: dict[Path_, str] = field(default_factory=dict)
    built: dict[int, Any] = field(default_factory=dict)
    building: set[int] = field(default_factory=set)

    def where(self, path: Path_, key: bool = False) -> str:
        for p in _prefixes(path):
            if p in self.overridden:
                return f"{self.overridden[p]} (command line)"
            table = self.key_positions if key else self.positions
            if p in table:
                line, col = table[p]
                return f"{self.file}:{line}:{col}"
            if p in self.positions:
                line, col = self.positions[p]
                return f"{self.file}:{line}:{col}"
        return self.file


def _prefixes(path: Path_) -> Iterable[Path_]:
    for n in range(len(path), -1, -1):
        yield path[:n]


_SCALARS = yaml.SafeLoader("")
"""Resolves scalar nodes (numbers, booleans, null, strings) exactly as ``yaml.safe_load``."""


class _DuplicateKey(Exception):
    def __init__(self, key: str, first: yaml.Mark, second: yaml.Mark) -> None:
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


def _construct(node: yaml.Node, path: Path_, src: _Source) -> Any:
    """Build Python data from a YAML node, recording each path's position.

    A node reached again through an alias is built once and shared (as
    ``yaml.safe_load`` does), so alias bombs stay small; an alias that contains
    itself is an error.
    """
    src.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    key = id(node)
    if key in src.building:
        raise ScenarioError(f"{src.file}:{node.start_mark.line + 1}: a YAML anchor refers to itself (recursive alias)")
    if key in src.built:
        return src.built[key]
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        src.building.add(key)
        try:
            value = _construct_collection(node, path, src)
        finally:
            src.building.discard(key)
        src.built[key] = value
        return value
    return _SCALARS.construct_object(node)


def _construct_collection(node: yaml.Node, path: Path_, src: _Source) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        seen: dict[Any, yaml.Mark] = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, path + ("<key>",), src)
            if isinstance(key, list | dict):
                raise ScenarioError(f"{src.file}:{key_node.start_mark.line + 1}: a mapping key must be a plain name")
            if key in seen:
                raise _DuplicateKey(str(key), seen[key], key_node.start_mark)
            seen[key] = key_node.start_mark
            child = path + (key,)
            src.key_positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _construct(value_node, child, src)
        src.positions.pop(path + ("<key>",), None)
        return out
    return [_construct(item, path + (i,), src) for i, item in enumerate(node.value)]


def _read_yaml(text: str, file: str) -> tuple[Any, _Source]:
    src = _Source(file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        raise ScenarioError(
            f"{where}: this is not valid YAML: {exc.problem}"
            + (f" ({exc.context})" if exc.context else "")
            + "\n  hint: check the indentation and that every `key: value` pair has a space after the colon"
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{file}: this is not valid YAML: {exc}") from None
    if node is None:
        raise ScenarioError(
            f"{file}: the file is empty; a scenario needs at least name, horizon, demand, supplier and replenishment"
        )
    try:
        data = _construct(node, (), src)
    except _DuplicateKey as dup:
        raise ScenarioError(
            f"{file}:{dup.second.line + 1}:{dup.second.column + 1}: key {dup.key!r} appears twice "
            f"(first at line {dup.first.line + 1})\n"
            "  hint: YAML would silently keep only the last one; remove or merge them"
        ) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise ScenarioError(f"{file}:{mark.line + 1 if mark else '?'}: {exc.problem}") from None
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{file}:1:1: a scenario must be a mapping of keys (name, horizon, demand, …), found {type(data).__name__}"
        )
    return data, src


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``PATH=VALUE`` (VALUE in YAML syntax) from ``--set``."""
    if "=" not in text:
        raise ScenarioError(f"--set {text}: expected PATH=VALUE, e.g. --set replenishment.reorder_point=40")
    path, raw = text.split("=", 1)
    path = path.strip()
    if not path or any(not part for part in path.split(".")):
        raise ScenarioError(f"--set {text}: the key path {path!r} is empty or has an empty part")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise ScenarioError(f"--set {text}: the value {raw!r} is not valid YAML") from None
    return path, value


def apply_overrides(
    data: dict[str, Any], overrides: Sequence[tuple[Any, ...]], src: _Source | None = None
) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``(dotted.path, value)`` set (creating mappings).

    An override may carry a third element, the label naming it in messages
    (default ``--set PATH=VALUE``).
    """
    import copy

    out = copy.deepcopy(data)
    for item in overrides:
        dotted, value = item[0], item[1]
        label = str(item[2]) if len(item) > 2 else f"--set {dotted}={value!r}"
        parts: list[str | int] = [int(p) if p.isdigit() else p for p in dotted.split(".")]
        node: Any = out
        for i, part in enumerate(parts[:-1]):
            nxt = node[part] if isinstance(node, dict) and part in node else None
            if isinstance(node, list) and isinstance(part, int) and part < len(node):
                nxt = node[part]
            if nxt is None:
                if not isinstance(node, dict):
                    raise ScenarioError(f"--set {dotted}: {'.'.join(map(str, parts[: i + 1]))} is not a mapping")
                nxt = node[part] = {}
            if not isinstance(nxt, dict | list):
                raise ScenarioError(
                    f"--set {dotted}: {'.'.join(map(str, parts[: i + 1]))} holds a value ({nxt!r}), not a mapping"
                )
            node = nxt
        last = parts[-1]
        if isinstance(node, list) and (not isinstance(last, int) or last >= len(node)):
            raise ScenarioError(f"--set {dotted}: no list item {last}")
        node[last] = value
        if src is not None:
            src.overridden[tuple(parts)] = label
    return out


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
        elif isinstance(part, str) and ("[" in part or part.startswith("function")):
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


def _fmt_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


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
    return None


def _resolved_view(data: dict[str, Any]) -> dict[str, Any]:
    """The data as the validator sees it: each policy body merged over the base."""
    if "policies" in data and not isinstance(data["policies"], dict):
        return data
    return {**data, "policies": merged_policies(data)}


def _errors_to_message(exc: ValidationError, data: dict[str, Any], src: _Source) -> str:
    lines: list[str] = []
    seen: set[tuple[Path_, str]] = set()
    view = _resolved_view(data)
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        etype = err["type"]
        ctx = err.get("ctx") or {}
        if etype == "unknown_key":
            loc = loc + (ctx["key"],)
        at = ctx.get("at")
        if at:
            loc = loc + (tuple(at) if isinstance(at, tuple | list) else (at,))
        path, found_value, exists = _walk(view, loc)
        # An error inside policies.<name> whose value comes from the base is reported at the base.
        shown = path
        if len(path) >= 2 and path[0] == "policies":
            inner = path[2:]
            body = src.positions
            written = ("policies", path[1]) + inner in body or any(p in src.overridden for p in _prefixes(path))
            if not written and inner and inner[0] in MODEL_SECTIONS:
                shown = inner
        where = src.where(shown, key=etype in ("unknown_key", "missing"))
        key = (shown, err["msg"])
        if key in seen:
            continue
        seen.add(key)
        policy_note = ""
        if shown != path and len(path) >= 2 and "policies" in data:
            policy_note = f" (in policy {path[1]!r})"
        if etype == "unknown_key":
            lines.append(f"{where}: {_fmt_path(shown)}{policy_note}: unknown key {ctx['key']!r}")
        elif etype == "missing":
            lines.append(f"{where}: {_fmt_path(shown)}{policy_note}: required key is missing")
        elif etype == "inert_key":
            stockout = src.where((*path[:-1], "stockout"))
            lines.append(f"{where}: {_fmt_path(shown)}: cannot act under stockout: {ctx['stockout']} ({stockout})")
            lines.append(f"  why:   {ctx['why']}")
            lines.append(f"  found: {_short(found_value)}")
            remove = "remove it"
            if not any(p in src.overridden for p in _prefixes(path)):
                remove += f" (or add --set {'.'.join(map(str, path))}={ctx['unset']})" if src.overridden else ""
            lines.append(f"  hint:  {remove}, or use stockout: backorder")
            continue
        elif etype == "union_tag_invalid":
            key_name = str(ctx.get("discriminator", "dist")).strip("'")
            tags = str(ctx.get("expected_tags", "")).replace("'", "")
            lines.append(f"{where}: {_fmt_path((*shown, key_name))}{policy_note}")
            lines.append(f"  expected: one of {tags}")
            lines.append(f"  found:    {ctx.get('tag')!r}")
        else:
            lines.append(f"{where}: {_fmt_path(shown)}{policy_note}")
            lines.append(f"  expected: {_expected(err['msg'])}")
            if exists:
                lines.append(f"  found:    {_short(found_value)}")
        hint = _hint(err, shown, found_value)
        if hint:
            lines.append(f"  hint: {hint}")
    return "\n".join(lines)


def _check_policy_bodies(data: dict[str, Any], src: _Source) -> None:
    """Policies must be a mapping of name → mapping of model sections (located errors)."""
    bodies = data.get("policies")
    if bodies is None:
        return
    if not isinstance(bodies, dict) or not bodies:
        raise ScenarioError(
            f"{src.where(('policies',))}: policies\n"
            f"  expected: a non-empty mapping of policy name to overrides\n"
            f"  found:    {_short(bodies)}\n"
            "  hint: e.g. `policies: {backorder: {}, out_of_stock: {store: {stockout: lost_sales}}}`"
        )
    for name, body in bodies.items():
        path: Path_ = ("policies", name)
        if body is not None and not isinstance(body, dict):
            raise ScenarioError(
                f"{src.where(path)}: {_fmt_path(path)}\n"
                "  expected: a mapping of overrides ({} for the base as written)\n"
                f"  found:    {_short(body)}\n"
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
                    f"{src.where((*path, key), key=True)}: {_fmt_path((*path, key))}: "
                    f"a policy cannot override {key!r}\n"
                    f"  hint: {hint}a policy may override only {', '.join(MODEL_SECTIONS)}"
                )


def _short(value: Any, limit: int = 100) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_scenario(text: str, file: str = "<scenario>", overrides: Sequence[tuple[Any, ...]] = ()) -> Scenario:
    """Validate scenario YAML ``text`` (``file`` names it in messages)."""
    data, src = _read_yaml(text, file)
    if overrides:
        data = apply_overrides(data, overrides, src)
    _check_policy_bodies(data, src)
    base_dir = str(Path(file).resolve().parent) if not file.startswith("<") else None
    try:
        scenario = Scenario.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ScenarioError(_errors_to_message(exc, data, src)) from None
    scenario._origin = file
    scenario._base_dir = base_dir
    return scenario


def scenario_source(scenario: Scenario) -> dict[str, Any]:
    """Data that validates to ``scenario`` (its current fields, however it was built or copied):
    the base model and experiment settings, and each policy as its difference from the base."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude={"policies"})
    base = {k: data[k] for k in MODEL_SECTIONS if k in data}
    policies = {}
    for name, model in scenario.policies.items():
        body = override_body(base, model.model_dump(mode="json", by_alias=True))
        policies[name] = body or {}
    data["policies"] = policies
    return data


def with_overrides(scenario: Scenario, overrides: Sequence[tuple[Any, ...]]) -> Scenario:
    """``scenario`` re-validated with more ``(dotted.path, value)`` overrides (applied to the
    base model, before the policies are merged over it, like ``--set``)."""
    source = scenario_source(scenario)
    src = _Source(scenario._origin)
    data = apply_overrides(source, overrides, src)
    _check_policy_bodies(data, src)
    try:
        out = Scenario.model_validate(data, context={"base_dir": scenario._base_dir})
    except ValidationError as exc:
        raise ScenarioError(_errors_to_message(exc, data, src)) from None
    out._origin = scenario._origin
    out._base_dir = scenario._base_dir
    return out


def load_scenario(path: str | Path, overrides: Sequence[tuple[Any, ...]] = ()) -> Scenario:
    """Read and validate the scenario at ``path``, applying ``--set`` style overrides."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            f"{p}: no such file\n  hint: check the path; scenarios usually live in scenarios/"
        ) from None
    except IsADirectoryError:
        raise ScenarioError(f"{p}: is a directory, expected a YAML scenario file") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{p}: is not a UTF-8 text file") from None
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read it: {exc.strerror or exc}") from None
    return parse_scenario(text, str(p), overrides)
