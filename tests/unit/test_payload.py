"""adapters.probe.payload: parsing what the shell probes print (busybox and bind/iputils flavours)."""

from __future__ import annotations

import subprocess

import pytest

from netconform.checks.connectivity import payload

BUSYBOX_NSLOOKUP = """Server:\t\t10.96.0.10
Address:\t10.96.0.10:53

** server can't find web.cluster.local: NXDOMAIN

Name:\tweb.ns1.svc.cluster.local
Address: 10.96.187.57

** server can't find web.svc.cluster.local: NXDOMAIN
@@netconform nslookup rc=1
"""

BIND_NSLOOKUP_HEADLESS = """Server:\t\t10.96.0.10
Address:\t10.96.0.10#53

Name:\tweb-headless.ns1.svc.cluster.local
Address: 10.244.0.4
Name:\tweb-headless.ns1.svc.cluster.local
Address: 10.244.0.3
"""

OLD_BUSYBOX = """Server:    10.96.0.10
Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local

Name:      web.ns1.svc.cluster.local
Address 1: 10.96.187.57 web.ns1.svc.cluster.local
"""


@pytest.mark.parametrize(
    ("output", "answers"),
    [
        (BUSYBOX_NSLOOKUP, {"web.ns1.svc.cluster.local": {"10.96.187.57"}}),
        (BIND_NSLOOKUP_HEADLESS, {"web-headless.ns1.svc.cluster.local": {"10.244.0.3", "10.244.0.4"}}),
        (OLD_BUSYBOX, {"web.ns1.svc.cluster.local": {"10.96.187.57"}}),
        ("** server can't find x: NXDOMAIN\n", {}),
    ],
)
def test_parse_nslookup_skips_the_server_block(output: str, answers: dict[str, set[str]]) -> None:
    assert payload.parse_nslookup(output) == answers


def test_describe_answers() -> None:
    assert payload.describe_answers({}) == "no answer"
    assert payload.describe_answers({"a": {"2", "1"}}) == "a -> 1, 2"


@pytest.mark.parametrize(
    ("line", "ok", "phrase"),
    [
        (
            "@@netconform transfer rc=0 sent=65536 got=65536 same=yes status=HTTP/1.0_200_OK err=",
            True,
            "identical",
        ),
        ("@@netconform transfer rc=1 sent=65536 got=0 same=no status= err=", False, "no HTTP response"),
        (
            "@@netconform transfer rc=0 sent=65536 got=30000 same=no status=HTTP/1.0_200_OK err=",
            False,
            "got 30000",
        ),
        ("garbage", False, "printed no result"),
    ],
)
def test_parse_transfer(line: str, ok: bool, phrase: str) -> None:
    result = payload.parse_transfer(line + "\n")
    assert result.ok is ok
    assert phrase in result.detail


@pytest.mark.parametrize(
    ("line", "ok", "phrase"),
    [
        (
            "@@netconform ping dev=eth0 mtu=1500 size=1472 rc=0 df=kernel-default nopmtu=0 "
            "sum=3_packets_transmitted__3_packets_received__0%_packet_loss",
            True,
            "3/3 replies to 1472-byte pings (= 1500-byte packets, MTU of eth0; DF by kernel default)",
        ),
        (  # busybox exits 0 when one reply of three came back: partial loss still fails
            "@@netconform ping dev=eth0 mtu=1500 size=1472 rc=0 df=kernel-default nopmtu=0 "
            "sum=3_packets_transmitted__1_packets_received__66%_packet_loss",
            False,
            "1/3 replies",
        ),
        (  # iputils wording
            "@@netconform ping dev=eth0 mtu=9001 size=8973 rc=1 df=ping-M-do nopmtu=0 "
            "sum=3_packets_transmitted__0_received__100%_packet_loss__time_2002ms",
            False,
            "0/3 replies to 8973-byte pings (= 9001-byte packets, MTU of eth0; DF via ping -M do)",
        ),
        (
            "@@netconform ping dev=eth0 mtu=1500 size=1472 rc=0 df=kernel-default nopmtu=1 "
            "sum=3_packets_transmitted__3_packets_received",
            True,
            "DF NOT guaranteed",
        ),
        (
            "@@netconform ping dev=eth0 mtu=1500 size=1472 rc=2 df=kernel-default nopmtu=0 sum=",
            False,
            "no summary",
        ),
    ],
)
def test_parse_df_ping(line: str, ok: bool, phrase: str) -> None:
    result = payload.parse_df_ping(line + "\n")
    assert result.ok is ok
    assert phrase in result.detail


@pytest.mark.parametrize(
    ("line", "ok", "body"),
    [
        ("@@netconform get rc=0 status=HTTP/1.0_200_OK body=10.244.0.4:41282", True, "10.244.0.4:41282"),
        ("@@netconform get rc=1 status= body=", False, ""),
        (
            "@@netconform get rc=0 status=HTTP/1.0_404_Not_Found body=404pagenotfound",
            False,
            "404pagenotfound",
        ),
    ],
)
def test_parse_http_get(line: str, ok: bool, body: str) -> None:
    result = payload.parse_http_get(line)
    assert (result.ok, result.body) == (ok, body)


@pytest.mark.parametrize(
    "script",
    [
        payload.echo_transfer_script("10.0.0.1", 8080),
        payload.df_ping_script("10.0.0.1"),
        payload.nslookup_script("web"),
        payload.http_get_script("172.30.1.2", 8080, "/clientip"),
    ],
)
def test_scripts_are_valid_posix_shell(script: str) -> None:
    assert subprocess.run(["sh", "-n", "-c", script], check=False).returncode == 0
