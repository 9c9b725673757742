"""The emulated world: a moto server (patched) for EC2, one VPC and node subnet, and one EC2 instance per
node, each with its own IMDS. ENI attach/detach is reported to hooks, which the bed will turn into veths."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any, Protocol

from netconform.testbed.awsemu import ACCOUNT, NODE_SUBNET_CIDR, REGION, VPC_CIDR, ZONE, imds, patches

AMI = "ami-12c6146b"  # any id moto accepts; it is never booted


@dataclass(frozen=True)
class EniEvent:
    kind: str  # "attach" or "detach"
    instance_id: str
    eni_id: str
    mac: str
    device_index: int


class EniHook(Protocol):
    """Called inside the Attach/DetachNetworkInterface request, before EC2 answers (so the link exists before
    ipamd polls IMDS for it). The bed's hook creates/deletes the veth whose node end carries `event.mac`."""

    def __call__(self, event: EniEvent) -> None: ...


@dataclass(frozen=True)
class EmulatedInstance:
    node: str
    instance_id: str
    instance_type: str
    imds_url: str
    primary_eni: str
    primary_mac: str
    primary_ip: str


@dataclass(eq=False)  # identity, not value: emulators are kept in a set
class Emulator:
    host: str = "127.0.0.1"
    ec2_port: int = 0
    hooks: list[EniHook] = field(default_factory=list)
    # Called with the moto backend after every EC2 request that may change addresses or attachments, before
    # EC2 answers: the datapath routes what was assigned before ipamd hands it to a pod.
    changed: list[Callable[[Any], None]] = field(default_factory=list)
    instances: dict[str, EmulatedInstance] = field(default_factory=dict)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list)
    _moto: Any = None
    _client: Any = None

    def start(self) -> None:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        import boto3
        from moto.server import ThreadedMotoServer

        patches.apply()
        _install_hooks(self)
        self._moto = ThreadedMotoServer(ip_address=self.host, port=self.ec2_port, verbose=False)
        self._moto.start()
        _host, port = self._moto.get_host_and_port()
        self.ec2_port = port
        self._client = boto3.client("ec2", endpoint_url=self.ec2_url, region_name=REGION)
        vpc = self._client.create_vpc(CidrBlock=str(VPC_CIDR))["Vpc"]["VpcId"]
        self.vpc_id = vpc
        self.subnet_id = self._client.create_subnet(
            VpcId=vpc, CidrBlock=str(NODE_SUBNET_CIDR), AvailabilityZone=ZONE
        )["Subnet"]["SubnetId"]
        self.sg_id = self._client.create_security_group(
            GroupName="netconform-nodes", Description="test bed nodes", VpcId=vpc
        )["GroupId"]

    @property
    def ec2_url(self) -> str:
        return f"http://{self.host}:{self.ec2_port}"

    @property
    def backend(self) -> Any:
        from moto.ec2.models import ec2_backends

        return ec2_backends[ACCOUNT][REGION]

    def add_instance(self, node: str, instance_type: str, imds_port: int = 0) -> EmulatedInstance:
        """One EC2 instance for one bed node, with its IMDS on host:imds_port (0: any free port)."""
        iid = self._client.run_instances(
            ImageId=AMI,
            MinCount=1,
            MaxCount=1,
            InstanceType=instance_type,
            SubnetId=self.subnet_id,
            SecurityGroupIds=[self.sg_id],
        )["Instances"][0]["InstanceId"]
        srv = imds.server(self.backend, iid, REGION, ACCOUNT, (self.host, imds_port))
        threading.Thread(target=srv.serve_forever, name=f"imds-{node}", daemon=True).start()
        self._servers.append(srv)
        eni = sorted(self.backend.get_instance(iid).nics.items())[0][1]
        inst = EmulatedInstance(
            node=node,
            instance_id=iid,
            instance_type=instance_type,
            imds_url=f"http://{self.host}:{srv.server_port}",
            primary_eni=eni.id,
            primary_mac=eni.mac_address,
            primary_ip=eni.private_ip_address,
        )
        self.instances[node] = inst
        return inst

    def serve_imds_by_source(self, port: int) -> str:
        """One IMDS on host:port for every instance, answering as the instance whose primary ENI holds the
        client's address (the bed's nodes reach it from their primary ENI addresses)."""

        def by_source(client: str) -> str | None:
            return next((i.instance_id for i in self.instances.values() if i.primary_ip == client), None)

        srv = imds.server(self.backend, by_source, REGION, ACCOUNT, (self.host, port))
        threading.Thread(target=srv.serve_forever, name="imds-by-source", daemon=True).start()
        self._servers.append(srv)
        return f"http://{self.host}:{srv.server_port}"

    def stop(self) -> None:
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._servers.clear()
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        _EMULATORS.discard(self)


_EMULATORS: set[Emulator] = set()
_HOOKED: dict[str, Any] = {}


def _notify(event: EniEvent) -> None:
    for emu in list(_EMULATORS):
        for hook in emu.hooks:
            hook(event)


def _notify_changed() -> None:
    for emu in list(_EMULATORS):
        for hook in emu.changed:
            hook(emu.backend)


# EC2 actions after which the addresses or attachments of an ENI may differ.
_CHANGING_ACTIONS = (
    "attach_network_interface",
    "detach_network_interface",
    "assign_private_ip_addresses",
    "unassign_private_ip_addresses",
    "delete_network_interface",
)


def _install_hooks(emu: Emulator) -> None:
    """Wrap moto's attach/detach once; every running Emulator's hooks hear every event."""
    _EMULATORS.add(emu)
    if _HOOKED:
        return
    from moto.ec2.models import elastic_network_interfaces as m

    _HOOKED["attach"] = m.NetworkInterfaceBackend.attach_network_interface
    _HOOKED["detach"] = m.NetworkInterfaceBackend.detach_network_interface

    def attach(self: Any, eni_id: str, instance_id: str, device_index: int) -> Any:
        attachment = _HOOKED["attach"](self, eni_id, instance_id, device_index)
        eni = self.get_network_interface(eni_id)
        _notify(EniEvent("attach", instance_id, eni_id, eni.mac_address, int(device_index)))
        return attachment

    def detach(self: Any, attachment_id: str) -> None:
        eni = next((e for e in self.enis.values() if e.attachment_id == attachment_id), None)
        before = (eni.instance.id, eni.device_index) if eni is not None and eni.instance else None
        _HOOKED["detach"](self, attachment_id)
        if eni is not None and before is not None:
            _notify(EniEvent("detach", before[0], eni.id, eni.mac_address, int(before[1] or 0)))

    setattr(m.NetworkInterfaceBackend, "attach_network_interface", attach)  # noqa: B010
    setattr(m.NetworkInterfaceBackend, "detach_network_interface", detach)  # noqa: B010

    # At the response layer, after the fidelity patches (prefixes are assigned there, not in the backend).
    from moto.ec2.responses import elastic_network_interfaces as r

    for action in _CHANGING_ACTIONS:
        original = getattr(r.ElasticNetworkInterfaces, action)
        _HOOKED[f"response:{action}"] = original
        setattr(r.ElasticNetworkInterfaces, action, _then_notify(original))


def _then_notify(original: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(self: Any) -> Any:
        result = original(self)
        _notify_changed()
        return result

    return wrapped
