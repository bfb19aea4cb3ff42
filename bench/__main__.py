"""``python -m bench [--quick] [NAME ...]``: run the benchmarks, write BENCHMARKS.md.

Each bench module has ``run(quick: bool)`` and writes its own section of BENCHMARKS.md, so
modules can be run alone and their sections coexist.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from scribeplugin.config import apply_offline_environment

BENCHES = (
    "index_retrieval",
    "embedders",
    "suggest_latency",
    "serve_load",
    "baseline",
    "bounded_work",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"benches to run (default: all of {', '.join(BENCHES)})"
    )
    parser.add_argument("--quick", action="store_true", help="skip the slowest measurements")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BENCHES))
    if unknown:
        parser.error(f"unknown bench(es) {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    apply_offline_environment()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from scribeplugin.logs import quiet_third_party

    quiet_third_party()
    for name in args.names or BENCHES:
        print(f"== bench {name}", flush=True)
        importlib.import_module(f"bench.{name}").run(quick=args.quick)
    print("figures written to BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
