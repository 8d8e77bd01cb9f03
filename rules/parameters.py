"""Dated policy parameters: every number of the program, read from YAML with its effective date and source.

A parameter file holds `values: {YYYY-MM-DD: {value: …, source: …}}`; `parameter(name, on)`
answers the value in force on a date together with where it came from, so that every
result can say which version of the policy it applied (OpenFisca style).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PARAMETERS_DIR = Path(__file__).parent / "parameters"


@dataclass(frozen=True)
class Parameter:
    """One parameter's value on a date, with what makes it traceable."""

    name: str
    value: Any
    effective: dt.date
    source: str

    def trace(self) -> dict:
        return {
            "parameter": self.name,
            "value": self.value,
            "effective": self.effective.isoformat(),
            "source": self.source,
        }


class ParameterError(LookupError):
    """A parameter is missing or has no value in force on the date asked."""


@lru_cache(maxsize=None)
def _load(name: str) -> dict:
    path = PARAMETERS_DIR / (name.replace(".", "/") + ".yaml")
    if not path.exists():
        raise ParameterError(f"no parameter file for {name!r} ({path})")
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    values = {}
    for key, entry in (data.get("values") or {}).items():
        day = key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key))
        values[day] = entry
    data["values"] = dict(sorted(values.items()))
    return data


def parameter(name: str, on: dt.date) -> Parameter:
    """The value of parameter `name` (dotted path under rules/parameters/) in force on `on`."""
    data = _load(name)
    chosen = None
    for effective, entry in data["values"].items():
        if effective <= on:
            chosen = (effective, entry)
    if chosen is None:
        raise ParameterError(f"{name} has no value in force on {on.isoformat()}")
    effective, entry = chosen
    return Parameter(
        name=name,
        value=entry.get("value"),
        effective=effective,
        source=entry.get("source") or data.get("reference", ""),
    )


def description(name: str) -> str:
    return _load(name).get("description", "")
