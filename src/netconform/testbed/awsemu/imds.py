"""The instance-metadata service of one emulated instance, computed from moto's live state on every request.

Served: the paths ipamd v1.23.2 reads (pkg/awsutils/imds.go, awsutils.go; the entrypoint and init container
read mac and local-ipv4), with IMDS's formatting: values without a trailing newline (ipamd compares mac
untrimmed), lists newline-joined, directory listings with a trailing "/" on sub-directories, 404 for an
absent key (ipv4-prefix on an ENI without prefixes), and the IMDSv2 token PUT."""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
META = "/latest/meta-data/"
IDENTITY = "/latest/dynamic/instance-identity/document"


def metadata(backend: Any, instance_id: str) -> dict[str, str]:
    """Every leaf key under /latest/meta-data/ with its value."""
    inst = backend.get_instance(instance_id)
    nics = sorted(inst.nics.items())
    primary = nics[0][1]
    md = {
        "instance-id": instance_id,
        "instance-type": inst.instance_type,
        "local-ipv4": primary.private_ip_address,
        "mac": primary.mac_address,
        "placement/availability-zone": primary.subnet.availability_zone,
    }
    for index, eni in nics:
        vpc = backend.get_vpc(eni.subnet.vpc_id)
        ips = [eni.private_ip_address] + [
            a["PrivateIpAddress"]
            for a in eni.private_ip_addresses
            if a["PrivateIpAddress"] != eni.private_ip_address
        ]
        fields = {
            "device-number": str(index),
            "interface-id": eni.id,
            "mac": eni.mac_address,
            "local-ipv4s": "\n".join(ips),
            "subnet-id": eni.subnet.id,
            "subnet-ipv4-cidr-block": eni.subnet.cidr_block,
            "vpc-id": eni.subnet.vpc_id,
            "vpc-ipv4-cidr-blocks": "\n".join(a["cidr_block"] for a in vpc.cidr_block_association_set),
            "security-group-ids": "\n".join(g.id for g in eni.group_set),
        }
        prefixes = getattr(eni, "ipv4_prefixes", [])
        if prefixes:  # absent, so 404, when there are none: ipamd's IsNotFound path
            fields["ipv4-prefix"] = "\n".join(p["Ipv4Prefix"] for p in prefixes)
        md.update({f"network/interfaces/macs/{eni.mac_address}/{k}": v for k, v in fields.items()})
    return md


def lookup(md: dict[str, str], key: str) -> str | None:
    """A leaf's value, a directory's listing ("name" or "name/"), or None for 404."""
    key = key.strip("/")
    if key in md:
        return md[key]
    prefix = f"{key}/" if key else ""
    children: set[str] = set()
    for k in md:
        if k.startswith(prefix):
            head, sep, _ = k[len(prefix) :].partition("/")
            children.add(head + ("/" if sep else ""))
    return "\n".join(sorted(children)) if children else None


def identity_document(backend: Any, instance_id: str, region: str, account: str) -> str:
    inst = backend.get_instance(instance_id)
    primary = sorted(inst.nics.items())[0][1]
    return json.dumps(
        {
            "accountId": account,
            "availabilityZone": primary.subnet.availability_zone,
            "instanceId": instance_id,
            "instanceType": inst.instance_type,
            "privateIp": primary.private_ip_address,
            "region": region,
        }
    )


def server(
    backend: Any,
    instance: str | Callable[[str], str | None],
    region: str,
    account: str,
    address: tuple[str, int],
) -> ThreadingHTTPServer:
    """One IMDS: of one instance, or (``instance`` a function of the client's address) of whichever instance
    asks, as EC2's single 169.254.169.254 does; an address no instance owns gets 404."""

    def instance_of(client: str) -> str | None:
        return instance if isinstance(instance, str) else instance(client)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet: ipamd polls every few seconds
            pass

        def _send(self, code: int, body: str = "") -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self) -> None:
            instance_id = instance_of(self.client_address[0])
            if instance_id is None or self.path != "/latest/api/token":
                return self._send(404)
            ttl = self.headers.get(TOKEN_TTL_HEADER)
            if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self._send(400)  # what IMDS answers a PUT without a valid TTL
            return self._send(200, f"aws-emu-token-{instance_id}")

        def do_GET(self) -> None:
            instance_id = instance_of(self.client_address[0])
            if instance_id is None:
                return self._send(404)
            path = self.path.split("?")[0]
            if path == IDENTITY:
                return self._send(200, identity_document(backend, instance_id, region, account))
            if not path.startswith(META) and path != META.rstrip("/"):
                return self._send(404)
            value = lookup(metadata(backend, instance_id), path[len(META) :])
            return self._send(404) if value is None else self._send(200, value)

    return ThreadingHTTPServer(address, Handler)
