"""The API server's validation rules for names, labels and ports, ported rule by rule (Kubernetes v1.36).

Each ``is_*`` function returns the messages upstream returns (empty: valid), so a caller can report the first
one in the API server's own words. Sources, all at kubernetes v1.36.3 / apimachinery v0.36.3:

* apimachinery ``pkg/api/validate/content`` (kube.go, dns.go, errors.go): IsLabelKey (= IsQualifiedName),
  IsLabelValue, IsDNS1123Label, IsDNS1123Subdomain;
* apimachinery ``pkg/util/validation/validation.go``: IsValidPortNum, IsValidPortName;
* apimachinery ``pkg/util/validation/field/errors.go``: how an error is written
  (``<field>: Invalid value: "x": <detail>``).

Go's regexp ``$`` matches only at the very end, so the patterns here use ``fullmatch`` (Python's ``$`` would
accept a trailing newline). Lengths are in bytes, as Go's ``len`` counts them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY = re.compile(_LABEL_KEY_FMT)
_LABEL_KEY_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character"
)
_LABEL_VALUE_FMT = f"({_LABEL_KEY_FMT})?"
_LABEL_VALUE = re.compile(_LABEL_VALUE_FMT)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character"
)
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_FMT = rf"{_DNS1123_LABEL_FMT}(\.{_DNS1123_LABEL_FMT})*"
_DNS1123_SUBDOMAIN = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character"
)
_PORT_NAME_CHARSET = re.compile("[-a-z0-9]+")
_LABEL_MAX = 63
_SUBDOMAIN_MAX = 253
PORT_NAME_MAX = 15
# apimachinery pkg/api/validation/objectmeta.go TotalAnnotationSizeLimitB
ANNOTATIONS_SIZE_LIMIT = 256 * (1 << 10)


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    """content.RegexError, word for word."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def _max_len_error(length: int) -> str:
    return f"must be no more than {length} bytes"


def _size(value: str) -> int:
    return len(value.encode("utf-8", "surrogatepass"))


def is_dns1123_subdomain(value: str) -> list[str]:
    errors = []
    if _size(value) > _SUBDOMAIN_MAX:
        errors.append(_max_len_error(_SUBDOMAIN_MAX))
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        errors.append(_regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errors


def is_dns1123_label(value: str) -> list[str]:
    errors = []
    if _size(value) > _LABEL_MAX:
        errors.append(_max_len_error(_LABEL_MAX))
    if not _DNS1123_LABEL.fullmatch(value):
        if _DNS1123_SUBDOMAIN.fullmatch(value):
            errors.append("must not contain dots")
        else:
            errors.append(_regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errors


def is_qualified_name(value: str) -> list[str]:
    """A label key: ``[prefix/]name``, prefix a DNS-1123 subdomain, name 1-63 of ``[-A-Za-z0-9_.]``."""
    errors: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend(f"prefix part {msg}" for msg in is_dns1123_subdomain(prefix))
    else:
        return [
            "a valid label key "
            + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errors.append("name part must be non-empty")
    elif _size(name) > _LABEL_MAX:
        errors.append(f"name part {_max_len_error(_LABEL_MAX)}")
    if not _LABEL_KEY.fullmatch(name):
        errors.append(
            "name part " + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
        )
    return errors


def is_label_value(value: str) -> list[str]:
    """Empty, or up to 63 of ``[-A-Za-z0-9_.]`` starting and ending alphanumeric."""
    errors = []
    if _size(value) > _LABEL_MAX:
        errors.append(_max_len_error(_LABEL_MAX))
    if not _LABEL_VALUE.fullmatch(value):
        errors.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def is_valid_port_num(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else ["must be between 1 and 65535, inclusive"]


def is_valid_port_name(port: str) -> list[str]:
    """IANA_SVC_NAME as upstream checks it (lower case only, though RFC 6335 is case-insensitive)."""
    errors = []
    if len(port) > PORT_NAME_MAX:
        errors.append(f"must be no more than {PORT_NAME_MAX} characters")
    if not _PORT_NAME_CHARSET.fullmatch(port):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", port):
        errors.append("must contain at least one letter (a-z)")
    if "--" in port:
        errors.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errors.append("must not begin or end with a hyphen")
    return errors


# --- how the API server words an error (field.Error.ErrorBody) --------------------------------------------
def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def invalid(value: object, detail: str) -> str:
    return f"Invalid value: {_show(value)}: {detail}"


def not_supported(value: object, supported: Sequence[str]) -> str:
    return (
        f"Unsupported value: {_show(value)}: supported values: {', '.join(json.dumps(s) for s in supported)}"
    )


def required(detail: str = "") -> str:
    return f"Required value: {detail}" if detail else "Required value"


def forbidden(detail: str) -> str:
    return f"Forbidden: {detail}"


def too_long(limit: int) -> str:
    return f"Too long: may not be more than {limit} bytes"
