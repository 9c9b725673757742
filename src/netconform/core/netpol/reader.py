"""Typed reads from loaded YAML/JSON data that fail with one line naming the place (``a.b[2].c: ...``).

The file is user input, so every surprise (wrong type, unknown field, missing field) is an InputError, never a
KeyError or a traceback.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import NoReturn

from netconform.core.netpol import validation
from netconform.errors import InputError


def at(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def fail(where: str, message: str) -> NoReturn:
    raise InputError(f"{where}: {message}" if where else message)


def describe_type(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number"}.get(
        type(value), type(value).__name__
    )


def mapping(
    value: object, where: str, *, allowed: Collection[str], required: Collection[str] = ()
) -> Mapping[str, object]:
    """A mapping with only ``allowed`` keys, all ``required`` ones present and not null."""
    if not isinstance(value, Mapping):
        fail(where, f"expected a mapping, got {describe_type(value)}")
    for key in value:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            fail(at(where, str(key)), f"unknown field (known fields: {known})")
    for key in required:
        if value.get(key) is None:
            fail(at(where, key), "required field is missing")
    return value


def sequence(value: object, where: str) -> list[object]:
    """A list; null (an absent or empty YAML key) reads as the empty list."""
    if value is None:
        return []
    if not isinstance(value, list):
        fail(where, f"expected a list, got {describe_type(value)}")
    return value


def string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        fail(where, f"expected a non-empty string, got {describe_type(value)}")
    return value


def integer(value: object, where: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(where, f"expected a number, got {describe_type(value)} {value!r}")
    if not low <= value <= high:
        fail(where, f"{value} is out of range {low}-{high}")
    return value


def port_number(value: object, where: str) -> int:
    return integer(value, where, low=1, high=65535)


def port_name(value: str, where: str) -> str:
    """A named port (IsValidPortName); the empty string is no name at all, so it fails the same way."""
    for problem in validation.is_valid_port_name(value):
        fail(where, validation.invalid(value, problem))
    return value


def string_map(value: object, where: str) -> dict[str, str]:
    """A label map: string keys to string values (the API rejects numbers and booleans, so do we)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        fail(where, f"expected a mapping of strings, got {describe_type(value)}")
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            fail(at(where, str(key)), f"label value must be a string, got {describe_type(item)} {item!r}")
        result[str(key)] = item
    return result
