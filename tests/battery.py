"""Shared pieces of the conformance batteries (replenishment, stockout, sourcing)."""

from __future__ import annotations

import math
import typing
from typing import Any

from pydantic import BaseModel

__all__ = ["same_indicators", "tags"]


def tags(annotation: Any, field: str) -> set[str]:
    """The values of the tag ``field`` over the members of a (discriminated) union of models.

    Unwraps ``Annotated`` and unions down to each model class and reads the ``Literal`` of
    its ``field``; a bare ``Literal`` gives its own values. A battery compares its list of
    cases with this set, so a rule added to the scenario format fails it until it is listed.
    """
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return tags(typing.get_args(annotation)[0], field)
    if origin is typing.Literal:
        return {str(a) for a in typing.get_args(annotation)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return tags(annotation.model_fields[field].annotation, field)
    return set().union(*(tags(a, field) for a in typing.get_args(annotation)))


def same_indicators(a: dict[str, float], b: dict[str, float]) -> bool:
    """Indicator dicts equal, an undefined (NaN) value equal only to another NaN."""
    return a.keys() == b.keys() and all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)
