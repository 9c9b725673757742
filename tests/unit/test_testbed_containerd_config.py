"""The containerd config each node gets: everything it writes or listens on is the node's own."""

from __future__ import annotations

import tomllib
from pathlib import Path

from netconform.testbed import components
from netconform.testbed.paths import Layout


def _config(index: int) -> dict[str, object]:
    bed = Path("/bed")
    layout = Layout(
        state=bed / "state", run=bed / "run", lib=bed / "lib", etcd_data=bed / "etcd", cache=bed / "cache"
    )
    return tomllib.loads(components.containerd_config(layout.node(index)))


def test_nri_is_disabled_so_no_node_listens_on_the_shared_host_socket() -> None:
    # containerd 2 enables NRI on /var/run/nri/nri.sock by default; two nodes started together race for it.
    plugins = _config(0)["plugins"]
    assert isinstance(plugins, dict)
    assert plugins["io.containerd.nri.v1.nri"] == {"disable": True}


def test_two_nodes_share_no_socket_or_state_directory() -> None:
    first, second = _config(1), _config(2)
    for key in ("root", "state"):
        assert first[key] != second[key]
    assert first["grpc"] != second["grpc"]
    assert first["ttrpc"] != second["ttrpc"]
