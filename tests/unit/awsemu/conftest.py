"""One in-process aws-emu (moto server + IMDS) on 127.0.0.1 for the module's tests.

NETCONFORM_AWSEMU_DISABLE=<patch value>[,...] turns patches off: that is how each patch test is shown to fail
on unpatched moto (the report of issue 16 quotes those failures)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from netconform.testbed.awsemu import REGION, patches
from netconform.testbed.awsemu.emulator import Emulator, EniEvent


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    off = {p for p in os.environ.get("NETCONFORM_AWSEMU_DISABLE", "").split(",") if p}
    e = Emulator()
    e.start()
    patches.apply(p for p in patches.Patch if p.value not in off)
    yield e
    e.stop()
    patches.apply(())  # the patches are process-wide: leave moto as found for other tests in this worker


@pytest.fixture(scope="module")
def ec2(emu: Emulator) -> object:
    import boto3

    return boto3.client(
        "ec2",
        endpoint_url=emu.ec2_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def events(emu: Emulator) -> Iterator[list[EniEvent]]:
    seen: list[EniEvent] = []
    emu.hooks.append(seen.append)
    yield seen
    emu.hooks.remove(seen.append)
