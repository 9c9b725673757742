"""Benchmark: the max-pods calculator over every bundled instance type (`netconform max-pods --all`)."""

from __future__ import annotations

import timeit
from typing import Any

from netconform.core import instance_types
from netconform.core.density.maxpods import DensityOptions, max_pods_for_all

REPEATS = 5


def run() -> dict[str, Any]:
    def load() -> None:
        instance_types._bundled.cache_clear()  # measure the cold parse, not the cache
        instance_types.bundled_limits()

    load_s = min(timeit.repeat(load, number=1, repeat=REPEATS))
    catalog = instance_types.bundled_limits()
    secondary_s = min(
        timeit.repeat(lambda: max_pods_for_all(catalog, DensityOptions()), number=1, repeat=REPEATS)
    )
    prefix_s = min(
        timeit.repeat(
            lambda: max_pods_for_all(catalog, DensityOptions(prefix_delegation=True)),
            number=1,
            repeat=REPEATS,
        )
    )
    result = {
        "name": "max-pods --all",
        "instance_types": len(catalog),
        "load_snapshot_ms": round(load_s * 1000, 3),
        "compute_all_ms": round(secondary_s * 1000, 3),
        "compute_all_prefix_delegation_ms": round(prefix_s * 1000, 3),
        "repeats": REPEATS,
    }
    print(
        f"max-pods --all: {len(catalog)} types, compute {result['compute_all_ms']} ms "
        f"(prefix delegation {result['compute_all_prefix_delegation_ms']} ms), "
        f"snapshot load {result['load_snapshot_ms']} ms (best of {REPEATS})"
    )
    return result


if __name__ == "__main__":
    run()
