"""Shell-level probes the connect prober cannot do: HTTP bodies above the MTU, don't-fragment pings, DNS
lookups. Each builder returns a POSIX shell script for ``/bin/sh -c`` in a probe-image pod, and each parser
turns that script's output into a small result. Probes report; they do not raise.

The scripts use only what both our image (agnhost + Debian busybox) and upstream agnhost (Alpine with
busybox, curl, netcat-openbsd, bind-tools) have: ``nc``, ``ping``, ``nslookup``, ``sed``, ``cmp``. Not
``wget``: Debian's static busybox wget crashes in getaddrinfo. Not ``ping -M do``: busybox lacks it, and the
kernel sets DF on ping sockets anyway unless net.ipv4.ip_no_pmtu_disc is set (the script reports it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netconform.core.connectivity.diagnosis import IPV4_ICMP_OVERHEAD

LARGE_BODY_BYTES = 64 * 1024  # dozens of full-size packets at any common MTU (1500, 8951, 9001)
TRANSFER_TIMEOUT_S = 5
PING_COUNT = 3
_MARK = "@@netconform"


def _fields(stdout: str, kind: str) -> dict[str, str]:
    """The key=value pairs of the script's ``@@netconform <kind> ...`` line (the last one wins)."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        if line.startswith(f"{_MARK} {kind} "):
            found = dict(re.findall(r"(\w+)=(\S*)", line[len(_MARK) + len(kind) + 2 :]))
    return found


# --- large HTTP transfer through agnhost netexec /echo -----------------------------------------------------


def echo_transfer_script(host: str, port: int, size: int = LARGE_BODY_BYTES) -> str:
    """POST ``size`` bytes to netexec's /echo, which sends them back: both directions in one exchange."""
    return "\n".join(
        [
            "d=$(mktemp -d)",
            f"head -c {size} /dev/zero | tr '\\0' x > \"$d/body\"",
            f"{{ printf 'POST /echo HTTP/1.0\\r\\nHost: {host}\\r\\n"
            "Content-Type: application/x-www-form-urlencoded\\r\\n"
            f'Content-Length: {size + 4}\\r\\nConnection: close\\r\\n\\r\\nmsg=\'; cat "$d/body"; }}'
            f' | nc -w {TRANSFER_TIMEOUT_S} {host} {port} > "$d/out" 2>"$d/err"; rc=$?',
            "status=$(head -n 1 \"$d/out\" | tr -d '\\r' | tr ' ' _)",
            'sed \'1,/^\\r$/d\' "$d/out" > "$d/got"',
            'got=$(wc -c < "$d/got" | tr -d " ")',
            'if cmp -s "$d/got" "$d/body"; then same=yes; else same=no; fi',
            'err=$(head -c 120 "$d/err" | tr " \\n" "_ ")',
            f'echo "{_MARK} transfer rc=$rc sent={size} got=$got same=$same status=$status err=$err"',
            'rm -rf "$d"',
        ]
    )


@dataclass(frozen=True)
class Transfer:
    sent: int
    received: int
    identical: bool
    status: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.identical and self.received == self.sent


def parse_transfer(stdout: str, stderr: str = "") -> Transfer:
    f = _fields(stdout, "transfer")
    if not f:
        return Transfer(0, 0, False, "", f"the script printed no result ({(stderr or stdout).strip()[:200]})")
    sent, received = int(f.get("sent", 0)), int(f.get("got", 0) or 0)
    status = f.get("status", "").replace("_", " ")
    detail = (
        f"sent {sent} bytes, got {received} back"
        + (" (identical)" if f.get("same") == "yes" else " (different)")
        + (f", HTTP status {status!r}" if status else ", no HTTP response")
        + (f", nc exit {f['rc']}" if f.get("rc") not in ("0", None) else "")
        + (f", nc said {f['err'].replace('_', ' ')!r}" if f.get("err") else "")
    )
    return Transfer(sent, received, f.get("same") == "yes", status, detail)


# --- don't-fragment ping at the interface MTU ---------------------------------------------------------------


def df_ping_script(target: str, count: int = PING_COUNT) -> str:
    """Ping ``target`` with packets exactly as large as the outgoing interface's MTU, DF set."""
    return "\n".join(
        [
            f"dev=$(ip route get {target} 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p')",
            'dev=${dev:-eth0}; mtu=$(cat "/sys/class/net/$dev/mtu")',
            f"size=$((mtu - {IPV4_ICMP_OVERHEAD}))",
            "nopmtu=$(cat /proc/sys/net/ipv4/ip_no_pmtu_disc 2>/dev/null || echo unknown)",
            # iputils has -M do; busybox does not and relies on the kernel default (DF on unless nopmtu != 0)
            "if ping -h 2>&1 | grep -q -- ' -M '; then df='-M do'; flag=ping-M-do; else df=''; "
            "flag=kernel-default; fi",
            f'out=$(ping -c {count} -A -W 2 -w {count + 2} -s "$size" $df {target} 2>&1); rc=$?',
            "sum=$(echo \"$out\" | grep 'transmitted' | tr ' ,' '__')",
            f'echo "{_MARK} ping dev=$dev mtu=$mtu size=$size rc=$rc df=$flag nopmtu=$nopmtu sum=$sum"',
        ]
    )


@dataclass(frozen=True)
class DfPing:
    mtu: int | None
    size: int | None
    transmitted: int
    received: int
    df_source: str  # "ping-M-do" or "kernel-default"
    detail: str

    @property
    def ok(self) -> bool:
        return self.transmitted > 0 and self.received == self.transmitted


_SUMMARY = re.compile(r"(\d+)_packets_transmitted_+(\d+)_(?:packets_)?received")


def parse_df_ping(stdout: str, stderr: str = "") -> DfPing:
    f = _fields(stdout, "ping")
    if not f:
        return DfPing(
            None, None, 0, 0, "", f"the script printed no result ({(stderr or stdout).strip()[:200]})"
        )
    summary = _SUMMARY.search(f.get("sum", ""))
    transmitted, received = (int(summary.group(1)), int(summary.group(2))) if summary else (0, 0)
    mtu = int(f["mtu"]) if f.get("mtu", "").isdigit() else None
    size = int(f["size"]) if f.get("size", "").lstrip("-").isdigit() else None
    df_note = "DF via ping -M do" if f.get("df") == "ping-M-do" else "DF by kernel default"
    if f.get("nopmtu") not in ("0", None) and f.get("df") != "ping-M-do":
        df_note = f"DF NOT guaranteed (net.ipv4.ip_no_pmtu_disc={f.get('nopmtu')})"
    detail = (
        f"{received}/{transmitted} replies to {size}-byte pings (= {mtu}-byte packets, MTU of "
        f"{f.get('dev', '?')}; {df_note})"
        if summary
        else f"ping gave no summary (exit {f.get('rc')}); MTU {mtu}"
    )
    return DfPing(mtu, size, transmitted, received, f.get("df", ""), detail)


# --- DNS lookups --------------------------------------------------------------------------------------------


def nslookup_script(name: str) -> str:
    """nslookup exits non-zero when any search domain says NXDOMAIN, even if another answered: the parser
    looks at the answers, not the exit code."""
    return f'nslookup {name} 2>&1; echo "{_MARK} nslookup rc=$?"'


def parse_nslookup(stdout: str) -> dict[str, set[str]]:
    """Answers as {name: {addresses}}, for busybox and bind-tools output alike (the server block skipped)."""
    answers: dict[str, set[str]] = {}
    current: str | None = None
    for raw in stdout.splitlines():
        line = raw.strip()
        if line.startswith("Name:"):
            current = line.split(":", 1)[1].strip().rstrip(".")
            answers.setdefault(current, set())
        elif line.startswith("Address") and current is not None:
            value = line.split(":", 1)[1].strip()
            # busybox 1.2x: "Address 1: 10.0.0.1 name"; newer busybox and bind: "Address: 10.0.0.1"
            answers[current].add(value.split()[0])
    return answers


def describe_answers(answers: dict[str, set[str]]) -> str:
    if not answers:
        return "no answer"
    return "; ".join(f"{name} -> {', '.join(sorted(ips)) or '(no address)'}" for name, ips in answers.items())


# --- egress: what an outside HTTP server says our address is --------------------------------------------


def http_get_script(host: str, port: int, path: str) -> str:
    return "\n".join(
        [
            f"out=$(printf 'GET {path} HTTP/1.0\\r\\nHost: {host}\\r\\nConnection: close\\r\\n\\r\\n'"
            f" | nc -w {TRANSFER_TIMEOUT_S} {host} {port} 2>&1); rc=$?",
            "body=$(echo \"$out\" | sed '1,/^\\r*$/d' | tr -d '\\r\\n ' | head -c 200)",
            "status=$(echo \"$out\" | head -n 1 | tr -d '\\r' | tr ' ' _)",
            f'echo "{_MARK} get rc=$rc status=$status body=$body"',
        ]
    )


@dataclass(frozen=True)
class HttpGet:
    ok: bool
    body: str
    detail: str


def parse_http_get(stdout: str) -> HttpGet:
    f = _fields(stdout, "get")
    status = f.get("status", "").replace("_", " ")
    body = f.get("body", "")
    ok = f.get("rc") == "0" and " 200 " in f" {status} " and bool(body)
    detail = (
        f"HTTP status {status!r}, body {body!r}" if status else f"no HTTP response (nc exit {f.get('rc')})"
    )
    return HttpGet(ok, body, detail)
