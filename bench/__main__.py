"""`make bench`: speed targets live here, never as timed assertions in tests."""

from __future__ import annotations

from bench import bench_density, bench_maxpods, bench_netpol


def main() -> None:
    bench_netpol.run()
    bench_maxpods.run()
    bench_density.run()


if __name__ == "__main__":
    main()
