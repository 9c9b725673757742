"""`netconform max-pods --from-aws`: live instance-type limits read through boto3 from moto (in process)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto import mock_aws

from netconform.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["max-pods", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


def test_from_aws_reads_live_limits(capsys, fake_aws) -> None:
    code, out, _ = run(capsys, "m5.large", "p5.48xlarge", "--from-aws", "--output", "json")
    assert code == 0
    assert json.loads(out) == {"m5.large": 29, "p5.48xlarge": 100}


def test_from_aws_unknown_type_exit_2(capsys, fake_aws) -> None:
    code, _, err = run(capsys, "m5.lrage", "--from-aws")
    assert code == 2
    assert "m5.lrage" in err
    assert err.count("\n") == 1
