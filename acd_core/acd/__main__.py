"""``python -m acd_core.acd replay TRACE.jsonl [--check]``

Replays a trace (docs/acd-trace.md) through a fresh engine and prints its
decisions as JSON lines. ``--check`` instead compares them with the decisions
recorded in the trace and exits 1 at the first difference.
"""
from __future__ import annotations

import argparse
import sys

from acd_core.errors import CallboxError

from . import trace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m acd_core.acd",
                                     description="Replay an ACD trace (JSON lines).")
    sub = parser.add_subparsers(dest="command", required=True)
    rp = sub.add_parser("replay", help="print the decisions a trace produces")
    rp.add_argument("trace", help="trace file, '-' for stdin")
    rp.add_argument("--check", action="store_true",
                    help="compare with the recorded decisions instead of printing them")
    args = parser.parse_args(argv)
    stream = sys.stdin if args.trace == "-" else open(args.trace, encoding="utf-8")
    try:
        with stream:
            if args.check:
                problems = trace.check(list(stream))
                for p in problems:
                    print(p, file=sys.stderr)
                if not problems:
                    print("ok: replay matches the recorded decisions", file=sys.stderr)
                return 1 if problems else 0
            for _, decision in trace.replay(stream):
                print(trace.dumps(trace.record(decision, "out")))
    except CallboxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
