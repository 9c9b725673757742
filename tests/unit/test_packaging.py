"""What makes the package run anywhere: one version, the runtime lock in step, the CLI's pass-through, the
image definition that both builders read."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import netconform
from netconform import cli
from netconform.commands import run

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import build_image  # noqa: E402


def test_one_version_for_cli_metadata_and_report() -> None:
    assert metadata.version("netconform") == netconform.__version__


def test_the_runtime_lock_is_the_current_subset_of_the_lock() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "runtime_lock.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    runtime = (REPO / "requirements-runtime.lock").read_text()
    assert "\nkubernetes==" in runtime
    assert "--hash=sha256:" in runtime
    for dev_only in ("moto==", "mypy==", "ruff==", "hypothesis=="):
        assert f"\n{dev_only}" not in runtime, dev_only


def test_plugin_is_a_pytest11_entry_point_named_after_its_module() -> None:
    (entry,) = [e for e in metadata.entry_points(group="pytest11") if e.value == "fixtures.plugin"]
    # The name is the module's, so conftest.py's `pytest_plugins = ["fixtures.plugin"]` finds it loaded.
    assert entry.name == "fixtures.plugin"


def test_local_run_uses_the_packaged_settings_and_the_installed_suites() -> None:
    command = run.pytest_command(["--", "-m", "smoke", "--kubeconfig", "/k"])
    suites = run.suites_dir()
    assert (suites / "smoke" / "test_connectivity.py").exists()
    assert command[1:3] == ["-m", "pytest"]
    ini = Path(command[command.index("-c") + 1])
    assert ini.name == "run.ini"
    assert "xfail_strict = true" in ini.read_text()
    assert command[command.index("--rootdir") + 1] == str(suites.parent)  # node ids read suites/...
    assert command[-5:] == ["-m", "smoke", "--kubeconfig", "/k", str(suites)]


def test_only_run_hands_unknown_arguments_on(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["sweep", "--run-id", "x", "-m", "smoke"])
    assert exc.value.code == 2
    assert "unrecognized arguments: -m smoke" in capsys.readouterr().err


def test_in_cluster_bad_image_is_one_line_and_touches_no_cluster(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The kubeconfig does not exist: the image is checked before any connection is made.
    code = cli.main(["run", "--in-cluster", "--image", "Not An Image", "--kubeconfig", str(tmp_path / "no")])
    err = capsys.readouterr().err
    assert code == 4, err
    assert err.startswith("netconform: error: --image:")
    assert err.count("\n") == 1


def test_the_containerfile_is_the_definition_the_daemonless_build_reads() -> None:
    definition = build_image.read_definition((REPO / "image" / "Containerfile").read_text())
    assert "python3" in definition.packages
    assert "python3-venv" in definition.packages
    assert definition.user == "10001:10001"  # image/install.sh's user, never root
    assert definition.entrypoint == ["netconform"]
    assert definition.env["PATH"].startswith("/opt/netconform/bin:")
    assert definition.env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_the_action_installs_the_locked_package_runs_renders_and_uploads() -> None:
    import yaml

    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"kubeconfig", "args"} <= action["inputs"].keys()
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "--require-hashes -r requirements-runtime.lock" in script
    assert "netconform run" in script
    assert "reports/make-report.sh" in script
    uploads = [
        s for s in action["runs"]["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")
    ]
    assert "junit.xml" in uploads[0]["with"]["path"]
    nightly = yaml.safe_load((REPO / "ci" / "nightly.yml").read_text())
    assert any(step.get("uses") == "./" for step in nightly["jobs"]["conformance"]["steps"])
