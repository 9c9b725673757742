from __future__ import annotations

import pytest

from netconform.core.run.redact import (
    REDACTED,
    Redactor,
    redact,
    secrets_in_environment,
    secrets_in_kubeconfig,
)

JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXBhcnQ"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234\nabcd\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abcdef0123456789", "abcdef0123456789"),
        ("authorization=Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("{'Authorization': 'Bearer sha256~zzzzzzzzzzzz'}", "sha256~zzzzzzzzzzzz"),
        ('{"headers": {"authorization": "Bearer tok-123456789"}}', "tok-123456789"),
        ("curl -H 'Bearer abcdefgh12345678' https://x", "abcdefgh12345678"),
        (f"token: {JWT}", JWT),
        (f"the sa token is {JWT}.", JWT),
        ("k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9u", "aHR0cHM6Ly9zdHMuYW1hem9u"),
        ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        ("key ASIAY34FZKBOKMUTVV7A in a message", "ASIAY34FZKBOKMUTVV7A"),
        (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET),
        (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
        (f'{{"SecretAccessKey": "{AWS_SECRET}"}}', AWS_SECRET),
        ('"SessionToken": "IQoJb3JpZ2luX2VjEPr//////////wEaCXVzLWVhc3QtMSJH"', "IQoJb3JpZ2luX2VjEPr"),
        ("export AWS_SESSION_TOKEN=FwoGZXIvYXdzEBYaDH7+abc", "FwoGZXIvYXdzEBYaDH7"),
        ("    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=", "LS0tLS1CRUdJTiBSU0Eg"),
        ("    token: 0123456789abcdef.fedcba9876543210", "0123456789abcdef"),
        ("    password: hunter2-but-longer", "hunter2-but-longer"),
        ("      id-token: eyJraWQiOi.x.y", "eyJraWQiOi.x.y"),
        (PEM, "MIIEpAIBAAKCAQEA1234"),
        ("https://admin:s3cr3t-pass@registry.example/v2", "s3cr3t-pass"),
        ("https://s3/x?X-Amz-Security-Token=IQoJb3Jp&X-Amz-Signature=abcdef12", "IQoJb3Jp"),
    ],
)
def test_credentials_are_redacted(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert REDACTED in out


@pytest.mark.parametrize(
    "text",
    [
        "expected BLOCKED, observed ALLOWED: x/a -> y/b 80/TCP",
        "kubectl exec -n nc-1126-gw0-x-ab12 a -c cont-80-tcp -- /agnhost connect 10.244.0.5:80 --timeout=1s",
        "kind: Secret\nsecretName: webhook-tls",
        "automountServiceAccountToken: false",
        "Serving on port 80",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_key_names_survive_so_the_reader_knows_what_was_there() -> None:
    assert redact("    token: abcdefgh12345678") == f"    token: {REDACTED}"
    assert redact(f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}") == f"AWS_SECRET_ACCESS_KEY={REDACTED}"


def test_redacting_twice_changes_nothing_more() -> None:
    once = redact(f"Authorization: Bearer {JWT}\ntoken: {JWT}")
    assert redact(once) == once


def test_known_values_are_redacted_wherever_they_appear() -> None:
    redactor = Redactor(frozenset({AWS_SECRET, "short"}))
    assert redactor(f"printed bare: {AWS_SECRET}!") == f"printed bare: {REDACTED}!"
    assert (
        redactor("short values are not secrets we can chase") == "short values are not secrets we can chase"
    )


def test_data_and_bytes_are_redacted_recursively() -> None:
    redactor = Redactor(frozenset({AWS_SECRET}))
    data = {"a": [AWS_SECRET, 3, {"b": (f"x {AWS_SECRET}",)}], "n": None}
    assert redactor.data(data) == {"a": [REDACTED, 3, {"b": (f"x {REDACTED}",)}], "n": None}
    assert redactor.bytes(AWS_SECRET.encode()) == REDACTED.encode()
    png = b"\x89PNG\r\n\x1a\n\xff\xfe"
    assert redactor.bytes(png) is png


def test_secrets_in_environment() -> None:
    env = {
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "GITHUB_TOKEN": "ghp_0123456789abcdef",
        "DB_PASSWORD": "pw",  # too short to chase
        "HOME": "/root",
        "PATH": "/usr/bin:/bin",
    }
    assert secrets_in_environment(env) == {"AKIAIOSFODNN7EXAMPLE", AWS_SECRET, "ghp_0123456789abcdef"}


def test_secrets_in_kubeconfig() -> None:
    kubeconfig = {
        "clusters": [
            {"name": "c", "cluster": {"server": "https://1.2.3.4", "certificate-authority-data": "Q0E="}}
        ],
        "users": [
            {"name": "token-user", "user": {"token": "t0ken-value-123"}},
            {
                "name": "cert-user",
                "user": {"client-certificate-data": "Y2VydA==", "client-key-data": "a2V5LWRhdGEtMTIz"},
            },
            {"name": "basic", "user": {"username": "admin", "password": "pa55word-long"}},
            {
                "name": "oidc",
                "user": {
                    "auth-provider": {"config": {"id-token": "id-tok-123456", "refresh-token": "r-123456789"}}
                },
            },
            {"name": "exec", "user": {"exec": {"command": "aws", "args": ["eks", "get-token"]}}},
        ],
    }
    assert secrets_in_kubeconfig(kubeconfig) == {
        "t0ken-value-123",
        "a2V5LWRhdGEtMTIz",
        "pa55word-long",
        "id-tok-123456",
        "r-123456789",
    }
    assert secrets_in_kubeconfig(None) == frozenset()
