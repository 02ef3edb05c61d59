"""The base of every scenario model, and the rules every mapping of a scenario obeys.

Every mapping, whatever its place, is checked the same way before its fields are:

* an unknown key is an error (with the allowed keys, for a "did you mean" hint);
* ``null`` selects the default of a key that has one (as omitting it does);
* a boolean is not a number: ``rate: true`` is refused where a number is expected
  (pydantic's lax mode would read it as 1);
* no number is larger in magnitude than :data:`~supplysim.scenario.limits.MAX_NUMBER`
  (``docs/limits.md``).

Names and free text are checked for control characters (:data:`Label`, :data:`Text`).
"""

from __future__ import annotations

import math
import typing
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from supplysim.scenario.errors import excerpt
from supplysim.scenario.limits import MAX_EXCERPT, MAX_NAME, MAX_NUMBER, MAX_TEXT

__all__ = ["Frozen", "Label", "Text", "check_mapping"]


@dataclass(frozen=True)
class _KeyRules:
    allowed: frozenset[str]
    """Every key of the mapping (the alias of a field if it has one)."""
    defaulted: frozenset[str]
    """Keys with a default, which ``null`` selects."""
    numeric: frozenset[str]
    """Keys whose values are numbers (or lists or mappings of numbers), never booleans."""


_RULES: dict[type[BaseModel], _KeyRules] = {}


def _type_kinds(annotation: Any) -> set[str]:
    """ "number" if the annotation admits int or float anywhere; "bool" if it admits bool or Any."""
    kinds: set[str] = set()
    todo = [annotation]
    while todo:
        tp = todo.pop()
        if tp is bool or tp is Any:
            kinds.add("bool")
        elif tp is int or tp is float:
            kinds.add("number")
        else:
            todo.extend(typing.get_args(tp))
    return kinds


def _rules(cls: type[BaseModel]) -> _KeyRules:
    rules = _RULES.get(cls)
    if rules is None:
        allowed, defaulted, numeric = set(), set(), set()
        for name, info in cls.model_fields.items():
            key = info.alias or name
            allowed.add(key)
            if not info.is_required():
                defaulted.add(key)
            kinds = _type_kinds(info.annotation)
            if "number" in kinds and "bool" not in kinds:
                numeric.add(key)
        rules = _RULES[cls] = _KeyRules(frozenset(allowed), frozenset(defaulted), frozenset(numeric))
    return rules


def _number_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a number of a scenario, or None (a boolean; beyond :data:`MAX_NUMBER`)."""
    if isinstance(value, bool):
        return "bool"
    number: float | int | None = None
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace("_", ""))
        except ValueError:
            return None
        if math.isnan(number):
            return None
    if number is not None and abs(number) > MAX_NUMBER:
        return "large"
    return None


def _raise_number(problem: str, at: tuple[Any, ...], value: Any) -> None:
    if problem == "bool":
        raise PydanticCustomError("bool_not_number", "a number, not a boolean", {"at": at})
    raise PydanticCustomError(
        "number_too_large",
        "a number of magnitude at most {limit} (docs/limits.md)",
        {"at": at, "limit": f"{MAX_NUMBER:.0e}"},
    )


def _no_bool(key: str, value: Any) -> None:
    """Refuse a boolean, or a number beyond :data:`MAX_NUMBER`, where a number (or a list or
    mapping of numbers) belongs."""
    problem = _number_problem(value)
    if problem is not None:
        _raise_number(problem, (key,), value)
    if isinstance(value, list):
        for i, item in enumerate(value):
            problem = _number_problem(item)
            if problem is not None:
                _raise_number(problem, (key, i), item)
    elif isinstance(value, dict):
        for name, item in value.items():
            problem = _number_problem(item)
            if problem is not None:
                _raise_number(problem, (key, name), item)


def check_mapping(cls: type[BaseModel], data: dict[Any, Any]) -> dict[Any, Any]:
    """``data`` for model ``cls`` after the rules of the module docstring (a copy if ``null``\\s were dropped)."""
    rules = _rules(cls)
    out = data
    for key, value in data.items():
        if key not in rules.allowed:
            raise PydanticCustomError(
                "unknown_key", "unknown key {key!r}", {"key": str(key)[:MAX_EXCERPT], "allowed": sorted(rules.allowed)}
            )
        if value is None:
            if key in rules.defaulted:
                if out is data:
                    out = dict(data)
                del out[key]
        elif key in rules.numeric:
            kind = type(value)
            if (kind is float or kind is int) and -MAX_NUMBER <= value <= MAX_NUMBER:
                continue  # the common case, decided here (NaN and ±∞ go on to the full check)
            _no_bool(key, value)
    return out


class Frozen(BaseModel):
    """Base of every scenario model: immutable; every mapping checked by :func:`check_mapping`.

    Validators are built on first use (``defer_build``): validating a scenario builds the
    scenario's alone, not one for each of the fifty models it nests.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _check_keys(cls, data: Any) -> Any:
        return check_mapping(cls, data) if isinstance(data, dict) else data


_LINE_BREAKS = {"Zl", "Zp"}


def _control_characters(text: str, allowed: str = "") -> list[str]:
    """The control, format and line-break characters of ``text`` (except those in ``allowed``)."""
    if text.isprintable():
        return []
    return [
        c
        for c in text
        if c not in allowed and (unicodedata.category(c)[0] == "C" or unicodedata.category(c) in _LINE_BREAKS)
    ]


def _label(text: str) -> str:
    if not text.strip():
        raise ValueError("a name of at least one visible character (it names results: fill_rate@NAME, files)")
    if len(text) > MAX_NAME:
        raise ValueError(f"a name of at most {MAX_NAME} characters, found {len(text):,}")
    bad = _control_characters(text)
    if bad:
        raise ValueError(f"a name without control characters (line breaks, tabs, …); found {excerpt(bad[0])}")
    return text


def _text(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise ValueError(f"a text of at most {MAX_TEXT:,} characters, found {len(text):,}")
    bad = _control_characters(text, allowed="\n\t")
    if bad:
        raise ValueError(f"a text without control characters (line breaks and tabs are fine); found {excerpt(bad[0])}")
    return text


Label = Annotated[str, AfterValidator(_label)]
"""A name or label: at least one visible character, at most :data:`MAX_NAME`, no control characters."""

Text = Annotated[str, AfterValidator(_text)]
"""Free text: at most :data:`MAX_TEXT` characters; line breaks and tabs but no other control characters."""
