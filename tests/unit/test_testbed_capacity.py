"""Bad node counts for the test bed: one line, exit 2, nothing started (no bed needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from netconform.cli import main
from netconform.errors import InputError
from netconform.testbed import capacity, lifecycle, network

MEMINFO = "MemTotal:       24730000 kB\nMemFree:         1000000 kB\nMemAvailable:    {} kB\n"


@pytest.mark.parametrize(
    ("nodes", "available_mb", "message"),
    [
        (0, 100_000, "--nodes must be between 1 and 3 (got 0)"),
        (9, 100_000, "--nodes must be between 1 and 3 (got 9)"),
        (-1, 100_000, "--nodes must be between 1 and 3 (got -1)"),
        (
            3,
            2000,
            "--nodes 3 needs about 2550 MB (1200 MB for the control plane + 450 MB per node), but only "
            "2000 MB are available",
        ),
    ],
)
def test_bad_node_counts_are_refused_in_one_line(nodes: int, available_mb: int, message: str) -> None:
    with pytest.raises(InputError) as refused:
        capacity.check_node_count(nodes, available_mb)
    assert str(refused.value) == message


@pytest.mark.parametrize(("nodes", "available_mb"), [(1, 1650), (2, 2100), (3, 2550), (3, 24_000)])
def test_counts_the_memory_holds_are_accepted(nodes: int, available_mb: int) -> None:
    capacity.check_node_count(nodes, available_mb)


def test_one_mb_short_is_refused() -> None:
    with pytest.raises(InputError):
        capacity.check_node_count(2, capacity.needed_mb(2) - 1)


def test_mem_available_is_read_from_meminfo() -> None:
    assert capacity.mem_available_mb(MEMINFO.format(2_097_152)) == 2048
    with pytest.raises(InputError, match="no MemAvailable"):
        capacity.mem_available_mb("MemTotal: 1 kB\n")


@pytest.fixture
def nothing_may_start(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every step that would change the machine records itself instead."""
    called: list[str] = []
    for module, name in ((lifecycle, "down"), (lifecycle, "build"), (network, "set_up")):
        monkeypatch.setattr(module, name, lambda *_a, _n=name, **_k: called.append(_n))
    monkeypatch.setattr(lifecycle, "require_root", lambda: None)
    return called


@pytest.mark.parametrize("count", ["0", "9"])
def test_cli_out_of_range_exits_2_and_starts_nothing(
    count: str, nothing_may_start: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["testbed", "up", "--nodes", count]) == 2
    err = capsys.readouterr().err
    assert err == f"netconform: error: --nodes must be between 1 and 3 (got {count})\n"
    assert nothing_may_start == []


def test_cli_more_nodes_than_memory_exits_2_and_starts_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    nothing_may_start: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(MEMINFO.format(1024 * 1024))  # 1 GB available
    monkeypatch.setattr(capacity, "MEMINFO", meminfo)
    monkeypatch.setattr(lifecycle, "status", lambda *_a: lifecycle.Status((), (), None, tmp_path / "kc"))
    assert main(["testbed", "up", "--nodes", "3"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "netconform: error: --nodes 3 needs about 2550 MB (1200 MB for the control plane + 450 MB per "
        "node), but only 1024 MB are available"
    ]
    assert nothing_may_start == []


def test_the_real_command_refuses_nine_nodes_in_one_line() -> None:
    netconform = Path(sys.executable).parent / "netconform"
    done = subprocess.run(
        [str(netconform), "testbed", "up", "--nodes", "9"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "netconform: error: --nodes must be between 1 and 3 (got 9)\n"
