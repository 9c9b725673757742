"""Remove credentials from text before it leaves the process (Allure results, JUnit XML, the terminal).

Two complementary nets:

- **patterns** catch credentials by their shape or the key they sit under, wherever they come from:
  ``Authorization:`` headers, ``Bearer`` tokens, JWTs (service-account tokens), EKS ``k8s-aws-v1.`` tokens,
  AWS access key ids, ``aws_secret_access_key`` / ``aws_session_token`` in any spelling (env, ini, JSON),
  kubeconfig ``token`` / ``password`` / ``client-key-data``, PEM private keys, presigned-URL signatures;
- **known values** catch a secret printed bare (``print(os.environ["AWS_SECRET_ACCESS_KEY"])``): the
  literal values found in the environment and in the kubeconfig in use (see ``secrets_in_environment`` and
  ``secrets_in_kubeconfig``) are replaced wherever they appear.

Everything here is pure; the pytest plugin reads the environment and the kubeconfig and builds a
``Redactor``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

REDACTED = "<redacted>"
MIN_KNOWN_LENGTH = 8
"""Shorter known values are ignored: replacing every "admin" or "1234" would shred innocent text."""

_KEYS = (
    r"aws_secret_access_key|aws_session_token|aws_security_token|secretaccesskey|sessiontoken"
    r"|client-key-data|client_key_data|id-token|refresh-token|access-token|token|password|passwd|secret"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM private keys (a decoded client-key-data), whole block.
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL),
        REDACTED,
    ),
    # HTTP headers: everything after the scheme, or the whole value for other schemes.
    (re.compile(r"(?im)^(\s*(?:proxy-)?authorization\s*[:=]\s*).+$"), rf"\1{REDACTED}"),
    (re.compile(r"""(?i)(["']?authorization["']?\s*[:=]\s*["']?)[^"'\n,}]+"""), rf"\1{REDACTED}"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    # EKS bearer tokens and JWTs (service-account tokens, OIDC id tokens).
    (re.compile(r"k8s-aws-v1\.[A-Za-z0-9_=-]+"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    # Key = value in env files, ini files, YAML, JSON and Python reprs; the key survives, the value goes.
    (
        re.compile(
            rf"""(?i)(["']?\b(?:{_KEYS})["']?\s*(?:[:=]|=>)\s*["']?)(?!{re.escape(REDACTED)})[^\s"',}}]+"""
        ),
        rf"\1{REDACTED}",
    ),
    # user:password@ in URLs (proxies, registries).
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@"), rf"\1{REDACTED}@"),
    # Presigned URLs (STS get-caller-identity tokens, S3 links).
    (re.compile(r"(?i)(X-Amz-(?:Security-Token|Signature|Credential)=)[^&\s\"']+"), rf"\1{REDACTED}"),
    # AWS access key ids: long-term (AKIA) and temporary (ASIA) and the other principal prefixes.
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b"), REDACTED),
)

_ENV_SECRET_NAMES = re.compile(r"(?i)(SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY)")
_ENV_ALWAYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
_KUBECONFIG_SECRET_KEYS = (
    "token",
    "password",
    "client-key-data",
    "id-token",
    "refresh-token",
    "access-token",
    "client-secret",
)


def redact(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with every credential replaced by ``<redacted>``; ``known`` are literal secret values."""
    for value in sorted({k for k in known if len(k) >= MIN_KNOWN_LENGTH}, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True, slots=True)
class Redactor:
    """A ``redact`` bound to the secrets of one run; call it on text, or ``.data`` on JSON-like values."""

    known: frozenset[str] = frozenset()

    def __call__(self, text: str) -> str:
        return redact(text, self.known)

    def data(self, value: Any) -> Any:
        """Strings inside dicts, lists and tuples redacted; everything else returned as it is."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.data(v) for v in value)
        return value

    def bytes(self, body: bytes) -> bytes:
        """Text attachments redacted; binary ones (not UTF-8) returned unchanged."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        return self(text).encode("utf-8")


def secrets_in_environment(environ: Mapping[str, str]) -> frozenset[str]:
    """Values of AWS credential variables and of any variable whose name says it holds a secret."""
    names = {n for n in environ if n in _ENV_ALWAYS or _ENV_SECRET_NAMES.search(n)}
    return frozenset(environ[n] for n in names if len(environ[n]) >= MIN_KNOWN_LENGTH)


def secrets_in_kubeconfig(kubeconfig: Any) -> frozenset[str]:
    """Credential values of a parsed kubeconfig: users' tokens, passwords, client keys, provider tokens."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _KUBECONFIG_SECRET_KEYS and isinstance(value, str):
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    if isinstance(kubeconfig, dict):
        walk(kubeconfig.get("users", []))
    return frozenset(v for v in found if len(v) >= MIN_KNOWN_LENGTH)
