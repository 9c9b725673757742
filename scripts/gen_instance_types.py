"""Generate the bundled EC2 instance-type snapshot (src/netconform/data/instance_types.json).

The source is real DescribeInstanceTypes data. By default it is the copy the ``moto`` package ships
(``moto/ec2/resources/instance_types.json.gz``, records in the boto3 shape, keyed by type). ``--source``
accepts any of: that file, a JSON object keyed by type, a JSON list of records, or a saved
``aws ec2 describe-instance-types`` response (``{"InstanceTypes": [...]}``), gzipped or not.

    .venv/bin/python scripts/gen_instance_types.py            # regenerate from moto's data
    .venv/bin/python scripts/gen_instance_types.py --check    # exit 1 when the snapshot is stale

Records go through ``netconform.core.instance_types.limits_from_describe``, the parser the live
``--from-aws`` path uses too.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from netconform.core.instance_types import (
    SNAPSHOT_COLUMNS,
    SNAPSHOT_FORMAT,
    limits_from_describe,
    limits_to_row,
)

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "src" / "netconform" / "data" / "instance_types.json"


def moto_source() -> tuple[Path, str]:
    path = Path(str(resources.files("moto").joinpath("ec2", "resources", "instance_types.json.gz")))
    return path, f"moto {metadata.version('moto')} ec2/resources/instance_types.json.gz"


def read_records(path: Path) -> list[Mapping[str, Any]]:
    raw = path.read_bytes()
    data = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    records: Iterable[Any]
    if isinstance(data, Mapping) and "InstanceTypes" in data:
        records = data["InstanceTypes"]
    elif isinstance(data, Mapping):
        records = data.values()
    else:
        records = data
    return [record for record in records if isinstance(record, Mapping)]


def render(records: Iterable[Mapping[str, Any]], source: str) -> str:
    rows = {limits.instance_type: limits_to_row(limits) for limits in map(limits_from_describe, records)}
    # One type per line keeps diffs readable when AWS changes a limit.
    body = ",\n".join(f"    {json.dumps(name)}: {json.dumps(rows[name])}" for name in sorted(rows))
    header = {"format": SNAPSHOT_FORMAT, "source": source, "count": len(rows), "columns": SNAPSHOT_COLUMNS}
    head = json.dumps(header)[:-1]
    return f'{head}, "instance_types": {{\n{body}\n}}}}\n'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="DescribeInstanceTypes data (default: moto's copy)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the output differs")
    args = parser.parse_args(argv)

    path, label = (args.source, str(args.source)) if args.source else moto_source()
    text = render(read_records(path), label)
    json.loads(text)  # never write a snapshot the loader cannot read
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale; run scripts/gen_instance_types.py", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {json.loads(text)['count']} instance types to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
