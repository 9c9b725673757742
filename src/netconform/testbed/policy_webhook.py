"""The hardened test bed's policy webhook: denies pods whose containers do not request CPU and memory.

Like a Gatekeeper constraint (``admission webhook "..." denied the request: [rule] ...``), served by a real
HTTPS process in the control plane's namespace and registered with ``failurePolicy: Fail``:

    python -m netconform.testbed.policy_webhook --cert C --key K --address 172.30.0.2 --port 9443

``review`` is the whole policy (pure, unit-tested); the server around it only speaks AdmissionReview v1.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

RULE = "require-requests"
WEBHOOK_NAME = "require-requests.testbed.netconform.io"
CONFIGURATION_NAME = "netconform-testbed-require-requests"
PATH = "/validate"
PORT = 9443
REQUIRED = ("cpu", "memory")


def violations(pod: dict[str, Any], required: Sequence[str] = REQUIRED) -> list[str]:
    """Every container (init containers too) that lacks one of the ``required`` requests."""
    spec = pod.get("spec") or {}
    found = []
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        requests = (container.get("resources") or {}).get("requests") or {}
        missing = [r for r in required if r not in requests]
        if missing:
            found.append(f'container "{container.get("name")}" has no resources.requests.{"/".join(missing)}')
    return found


def review(body: dict[str, Any], required: Sequence[str] = REQUIRED) -> dict[str, Any]:
    """The AdmissionReview answer to ``body`` (a v1 AdmissionReview of a Pod). ``required`` is the rule's
    parameter, as a Gatekeeper constraint's (``/validate/cpu,memory,ephemeral-storage``)."""
    request = body.get("request") or {}
    is_pod = request.get("kind", {}).get("kind") == "Pod"
    problems = violations(request.get("object") or {}, required) if is_pod else []
    response: dict[str, Any] = {"uid": request.get("uid", ""), "allowed": not problems}
    if problems:
        response["status"] = {
            "code": 403,
            "reason": "Forbidden",
            "message": f"[{RULE}] {'; '.join(problems)}: every container must request "
            + " and ".join(required),
        }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        # /validate, or /validate/cpu,memory,ephemeral-storage: the constraint's parameter in the path (the
        # API server allows no query string in a webhook URL).
        path = urlsplit(self.path).path
        if path != PATH and not path.startswith(f"{PATH}/"):
            self.send_error(404)
            return
        required = path.removeprefix(PATH).strip("/").split(",") if path != PATH else list(REQUIRED)
        length = int(self.headers.get("Content-Length") or 0)
        try:
            answer = json.dumps(review(json.loads(self.rfile.read(length)), required)).encode()
        except (ValueError, AttributeError) as err:
            self.send_error(400, f"not an AdmissionReview: {err}")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netconform.testbed.policy_webhook")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, default=PORT)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.address, args.port), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
