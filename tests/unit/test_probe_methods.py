"""Probe methods and the batch: what each command looks like, how answers are read, and that one exec per
source runs every probe and reads back one result per probe (the batch script runs in a real /bin/sh)."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.execution import ExecResult
from netconform.adapters.probe.exec_prober import ExecProber, batch_script, parse_batch_output
from netconform.adapters.probe.methods import DIALER_PATH, AgnhostConnect, MultiDial, NetexecDial, reproduce
from netconform.adapters.probe.model import Endpoint, ProbeJob
from netconform.checks.netpol.topology import ProbeImage, SctpSupport
from netconform.core.truthtable import Cell, Protocol
from netconform.testbed.binaries import build, locate

SOURCE = Endpoint("x/a", "nc-run-x", "a", "cont-80")

# Answers of agnhost netexec 2.63's /dial, copied from the test bed.
ANSWERED = '{"responses":["b"]}'
TCP_REFUSED = (
    '{"errors":["Get \\"http://10.244.0.15:82/hostname\\": '
    'dial tcp 10.244.0.15:82: connect: connection refused"]}'
)
UDP_REFUSED = (
    '{"errors":["reading from udp connection failed. err:\'read udp 10.244.0.15:47439-\\u003e10.244.0.15:82: '
    "read: connection refused'\"]}"
)
TCP_TIMEOUT = (
    '{"errors":["Get \\"http://172.30.1.99:81/hostname\\": context deadline exceeded '
    '(Client.Timeout exceeded while awaiting headers)"]}'
)
UDP_TIMEOUT = (
    '{"errors":["reading from udp connection failed. err:\'read udp 10.244.0.15:52844-\\u003e172.30.1.99:81: '
    "i/o timeout'\"]}"
)

TCP_NO_ROUTE = (
    '{"errors":["Get \\"http://10.96.16.129:80/hostname\\": '
    'dial tcp 10.96.16.129:80: connect: no route to host"]}'
)


def job(address: str = "10.244.0.7", port: int = 81, protocol: Protocol = Protocol.UDP) -> ProbeJob:
    return ProbeJob(SOURCE, "y/b", address, port, protocol)


@pytest.mark.parametrize(
    ("returncode", "output", "cell"),
    [
        (0, ANSWERED, Cell.ALLOWED),
        (0, TCP_REFUSED, Cell.REFUSED),
        (0, UDP_REFUSED, Cell.REFUSED),
        (0, TCP_TIMEOUT, Cell.BLOCKED),
        (0, UDP_TIMEOUT, Cell.BLOCKED),
        (0, TCP_NO_ROUTE, Cell.BLOCKED),
        (143, "Terminated", Cell.BLOCKED),  # busybox timeout
        (124, "", Cell.BLOCKED),  # coreutils timeout
        (1, "wget: server returned error: HTTP/1.1 400 Bad Request", Cell.PROBE_ERROR),
        (1, "wget: can't connect to remote host (127.0.0.1): Connection refused", Cell.PROBE_ERROR),
        (0, '{"errors":["dial tcp: lookup s-b.y: no such host"]}', Cell.PROBE_ERROR),
        (0, "not json", Cell.PROBE_ERROR),
        (0, '["a list"]', Cell.PROBE_ERROR),
        (0, "{}", Cell.PROBE_ERROR),
    ],
)
def test_netexec_dial_answers_are_read_as_cells(returncode: int, output: str, cell: Cell) -> None:
    assert NetexecDial().classify(returncode, output) is cell


def test_a_killed_dial_is_described_as_a_timeout_not_as_terminated() -> None:
    assert NetexecDial(timeout_s=2).describe(143, "Terminated") == "TIMEOUT: no answer within 2 s"
    assert NetexecDial().describe(0, TCP_REFUSED) == TCP_REFUSED


@pytest.mark.parametrize(
    ("protocol", "dialed"), [(Protocol.TCP, "http"), (Protocol.UDP, "udp"), (Protocol.SCTP, "sctp")]
)
def test_netexec_dial_asks_the_source_pods_own_netexec(protocol: Protocol, dialed: str) -> None:
    command = NetexecDial(port=80, timeout_s=2).command(job(port=81, protocol=protocol))
    assert command == [
        "wget",
        "-q",
        "-O",
        "-",
        f"http://127.0.0.1:80/dial?host=10.244.0.7&port=81&protocol={dialed}&request=hostname&tries=1",
    ]


def test_dns_names_and_ipv6_addresses_are_url_encoded() -> None:
    name = "s-b.nc-y.svc.cluster.local."
    assert f"host={name}&" in NetexecDial().command(job(name))[-1]
    assert "host=fd00%3A%3A7&" in NetexecDial().command(job("fd00::7"))[-1]


def test_the_reproduce_line_runs_the_probe_alone_under_its_deadline() -> None:
    line = reproduce(job(), NetexecDial())
    assert line.startswith(
        "kubectl exec -n nc-run-x a -c cont-80 -- timeout 2 wget -q -O - 'http://127.0.0.1"
    )


@pytest.mark.parametrize(
    ("returncode", "output", "cell"),
    [
        (0, "", Cell.ALLOWED),
        (1, "TIMEOUT", Cell.BLOCKED),
        (1, "OTHER: dial tcp 10.96.16.129:80: connect: no route to host", Cell.BLOCKED),
        (1, "OTHER: dial tcp 10.9.0.1:80: connect: network is unreachable", Cell.BLOCKED),
        (1, "REFUSED", Cell.REFUSED),
        (1, "DNS: lookup failed", Cell.PROBE_ERROR),
        (1, "OTHER: protocol not supported", Cell.PROBE_ERROR),
    ],
)
def test_agnhost_connect_answers_are_read_as_cells(returncode: int, output: str, cell: Cell) -> None:
    assert AgnhostConnect().classify(returncode, output) is cell


def test_agnhost_connect_brackets_ipv6_and_names_the_protocol() -> None:
    assert AgnhostConnect(timeout_s=1).command(job("fd00::7", 80, Protocol.TCP)) == [
        "/agnhost",
        "connect",
        "[fd00::7]:80",
        "--timeout=1s",
        "--protocol=tcp",
    ]


def run_in_sh(script: str) -> str:
    return subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True).stdout


def test_the_batch_script_reads_back_every_commands_exit_code_and_first_line() -> None:
    commands = [
        ["sh", "-c", "echo connected"],
        ["printf", "%s\\n", 'REFUSED: it said "no" a\\b'],  # quotes and a backslash come back as they were
        ["sh", "-c", "sleep 0.2; printf 'two\\nlines'; exit 7"],
        ["true"],
    ]
    parsed = parse_batch_output(run_in_sh(batch_script(commands)))
    assert parsed == {0: (0, "connected"), 1: (0, 'REFUSED: it said "no" a\\b'), 2: (7, "two"), 3: (0, "")}


def test_the_deadline_kills_what_still_runs_and_the_batch_does_not_wait_for_its_watchdog() -> None:
    # The sleeper is killed at the 1 s deadline (143); with a 30 s deadline and quick commands the script
    # ends as soon as they do, not when the watchdog would fire (the subprocess bound would trip).
    killed = parse_batch_output(run_in_sh(batch_script([["sleep", "30"], ["echo", "quick"]], deadline_s=1)))
    assert killed == {0: (143, ""), 1: (0, "quick")}
    script = batch_script([["echo", "quick"]], deadline_s=30)
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=15, check=True)
    assert parse_batch_output(done.stdout) == {0: (0, "quick")}


def test_the_batch_runs_its_commands_concurrently(tmp_path: Path) -> None:
    # The first command waits for what the last one does: run one after the other, they would never finish.
    flag = tmp_path / "flag"
    waiter = ["sh", "-c", f"while [ ! -e {flag} ]; do sleep 0.05; done; echo saw it"]
    script = batch_script([waiter, ["touch", str(flag)]])
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert parse_batch_output(done.stdout) == {0: (0, "saw it"), 1: (0, "")}


class LocalShell:
    """A KubeCluster stand-in whose exec runs the command on this machine and counts the execs."""

    def __init__(self) -> None:
        self.execs: list[tuple[str, str | None]] = []

    def exec(
        self, namespace: str, pod: str, command: Sequence[str], *, container: str | None, timeout_s: float
    ) -> ExecResult:
        self.execs.append((pod, container))
        done = subprocess.run(list(command), check=False, capture_output=True, text=True, timeout=timeout_s)
        return ExecResult(done.returncode, done.stdout, done.stderr, "local")


class EchoMethod:
    """Connected when the port is even, refused when odd: enough to see results land on the right jobs."""

    timeout_s = 1.0
    needs_deadline = False

    def command(self, job: ProbeJob) -> list[str]:
        return ["sh", "-c", f"echo {job.target_key}; exit {job.port % 2}"]

    def classify(self, returncode: int, output: str) -> Cell:
        return Cell.ALLOWED if returncode == 0 else Cell.REFUSED

    def describe(self, returncode: int, output: str) -> str:
        return output


def test_one_exec_per_source_and_results_in_the_order_of_the_jobs() -> None:
    shell = LocalShell()
    other = Endpoint("y/b", "nc-run-y", "b", "cont-80")
    jobs = [
        ProbeJob(SOURCE, "y/b", "10.0.0.2", 80, Protocol.TCP),
        ProbeJob(other, "x/a", "10.0.0.1", 81, Protocol.TCP),
        ProbeJob(SOURCE, "z/c", "10.0.0.3", 81, Protocol.UDP),
        ProbeJob(other, "z/c", "10.0.0.3", 80, Protocol.UDP),
    ]
    prober = ExecProber(cast(KubeCluster, shell), method=EchoMethod())
    results = prober.probe(jobs)
    assert sorted(shell.execs) == [("a", "cont-80"), ("b", "cont-80")]
    assert [(r.job, r.state, r.detail) for r in results] == [
        (jobs[0], Cell.ALLOWED, "y/b"),
        (jobs[1], Cell.REFUSED, "x/a"),
        (jobs[2], Cell.REFUSED, "z/c"),
        (jobs[3], Cell.ALLOWED, "z/c"),
    ]
    assert results[1].reproduce == "kubectl exec -n nc-run-y b -c cont-80 -- sh -c 'echo x/a; exit 1'"


def test_a_batch_that_returns_nothing_is_a_probe_error_for_each_of_its_jobs() -> None:
    class Broken(LocalShell):
        def exec(self, *args: Any, **kwargs: Any) -> ExecResult:
            return ExecResult(None, "", "error: unable to upgrade connection", "local")

    results = ExecProber(cast(KubeCluster, Broken()), method=EchoMethod()).probe([job(), job(port=80)])
    assert [r.state for r in results] == [Cell.PROBE_ERROR, Cell.PROBE_ERROR]
    assert "unable to upgrade connection" in results[0].detail


def test_multi_dial_puts_every_target_of_a_batch_on_one_command_line() -> None:
    jobs = [job("fd00::7", 80, Protocol.TCP), job("s-b.nc-y.svc.cluster.local.", 81, Protocol.SCTP), job()]
    assert MultiDial(timeout_s=1.5).batch_command(jobs) == [
        DIALER_PATH,
        "--timeout=1.5s",
        "tcp:[fd00::7]:80",
        "sctp:s-b.nc-y.svc.cluster.local.:81",
        "udp:10.244.0.7:81",
    ]
    assert reproduce(job(), MultiDial()) == (
        f"kubectl exec -n nc-run-x a -c cont-80 -- {DIALER_PATH} --timeout=2s udp:10.244.0.7:81"
    )


@pytest.mark.parametrize("dialer", [True, False])
def test_the_probe_client_is_the_one_the_image_was_seen_to_have(dialer: bool) -> None:
    image = ProbeImage(SctpSupport(False, "-"), dialer, "kubectl exec ... -> rc 127: not found")
    assert image.method() == (MultiDial() if dialer else NetexecDial(80))
    assert (DIALER_PATH + ", one process per source" in image.describe()) is dialer


@pytest.fixture(scope="module")
def dialer_binary() -> Path:
    """testbed/dialer, built as the bed builds it (cached after the first time: a hash and a stat)."""
    build(("dialer",))
    return locate().path("dialer", "dialer")


class LocalServers:
    """On 127.0.0.1: a TCP listener, a UDP server answering like netexec, a UDP socket that never answers."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.silent.bind(("127.0.0.1", 0))
        self.received: list[bytes] = []
        threading.Thread(target=self._answer, daemon=True).start()

    def port(self, server: socket.socket) -> int:
        return int(server.getsockname()[1])

    def _answer(self) -> None:
        while True:
            data, peer = self.udp.recvfrom(1024)
            self.received.append(data)
            self.udp.sendto(b"b\n", peer)


def test_the_real_dialer_probes_a_whole_batch_in_one_exec_and_each_answer_lands_on_its_job(
    dialer_binary: Path,
) -> None:
    servers = LocalServers()
    closed = socket.socket()  # bound, never listening: its port refuses
    closed.bind(("127.0.0.1", 0))
    jobs = [
        ProbeJob(SOURCE, "y/a", "127.0.0.1", servers.port(servers.tcp), Protocol.TCP),
        ProbeJob(SOURCE, "y/b", "127.0.0.1", servers.port(closed), Protocol.TCP),
        ProbeJob(SOURCE, "y/c", "127.0.0.1", servers.port(servers.udp), Protocol.UDP),
        ProbeJob(SOURCE, "z/a", "127.0.0.1", servers.port(servers.silent), Protocol.UDP),
        ProbeJob(SOURCE, "z/b", "no-such-name.invalid.", 80, Protocol.TCP),
    ]
    shell = LocalShell()
    results = ExecProber(
        cast(KubeCluster, shell), method=MultiDial(timeout_s=1, path=str(dialer_binary))
    ).probe(jobs)
    assert shell.execs == [("a", "cont-80")]
    assert [(r.state, r.detail) for r in results[:4]] == [
        (Cell.ALLOWED, "CONNECTED"),
        (Cell.REFUSED, "REFUSED"),
        (Cell.ALLOWED, "b"),  # the server's answer, as netexec's hostname
        (Cell.BLOCKED, "TIMEOUT"),
    ]
    assert servers.received == [b"hostname\n"]  # netexec's UDP conversation
    assert results[4].state is Cell.PROBE_ERROR
    assert results[4].detail.startswith("DNS: ")
    assert results[1].reproduce == (
        f"kubectl exec -n nc-run-x a -c cont-80 -- {dialer_binary} --timeout=1s tcp:127.0.0.1:{jobs[1].port}"
    )


def test_the_dialer_alone_says_what_it_saw_and_fails_when_any_target_did_not_answer(
    dialer_binary: Path,
) -> None:
    servers = LocalServers()
    port = servers.port(servers.tcp)
    alone = subprocess.run(
        [str(dialer_binary), "--timeout=1s", f"tcp:127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (alone.returncode, parse_batch_output(alone.stdout)) == (0, {0: (0, "CONNECTED")})
    both = subprocess.run(
        [str(dialer_binary), f"tcp:127.0.0.1:{port}", "bogus"], capture_output=True, text=True, check=False
    )
    assert both.returncode == 1
    assert parse_batch_output(both.stdout) == {
        0: (0, "CONNECTED"),
        1: (1, "UNKNOWN: not PROTOCOL:HOST:PORT: bogus"),
    }
    usage = subprocess.run([str(dialer_binary)], capture_output=True, text=True, check=False)
    assert (usage.returncode, usage.stdout) == (2, "")
    assert usage.stderr.startswith("usage: netconform-dial")
