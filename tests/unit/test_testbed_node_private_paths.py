"""Every node sees its own directory behind the paths its daemons hard-code, so nodes started together do
not race for one socket and nothing of theirs lands in the machine's own directories."""

from __future__ import annotations

from pathlib import Path

from netconform.testbed import nodes
from netconform.testbed.paths import Layout


def _layout() -> Layout:
    bed = Path("/bed")
    return Layout(
        state=bed / "state", run=bed / "run", lib=bed / "lib", etcd_data=bed / "etcd", cache=bed / "cache"
    )


def test_the_kubelet_device_plugin_directory_is_each_nodes_own() -> None:
    # The kubelet empties /var/lib/kubelet/device-plugins at start and binds kubelet.sock there whatever its
    # --root-dir: three kubelets sharing it failed in CI with "bind: address already in use".
    layout = _layout()
    plugins = Path("/var/lib/kubelet/device-plugins")
    binds = {
        index: next(line for line in nodes._inside_script(layout, layout.node(index)).splitlines()
                    if line.endswith(f" {plugins}"))
        for index in (1, 2)
    }  # fmt: skip
    assert binds[1] == f"mount --bind {layout.node(1).private(plugins)} {plugins}"
    assert layout.node(1).private(plugins) != layout.node(2).private(plugins)
    assert str(layout.node(1).private(plugins)).startswith("/bed/")
