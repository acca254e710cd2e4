"""``python -m acd_core.dtmf FILE [--alaw|--ulaw]``: print the DTMF digits in a recording.

FILE is raw 8 kHz mono audio: signed 16-bit little-endian PCM by default, or
G.711 octets with ``--alaw`` / ``--ulaw`` (``-`` reads standard input). One line
per digit, ``<sample_offset> <digit>``, the offset being where the digit was
confirmed. Unreadable files and PCM with an odd byte count exit with status 2.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from acd_core.dtmf import DtmfDetector


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m acd_core.dtmf",
        description="Detect DTMF digits in raw 8 kHz mono audio.")
    parser.add_argument("file", help="raw audio file, or - for standard input")
    law = parser.add_mutually_exclusive_group()
    law.add_argument("--alaw", action="store_true", help="input is G.711 A-law octets")
    law.add_argument("--ulaw", action="store_true", help="input is G.711 µ-law octets")
    args = parser.parse_args(argv)
    try:
        if args.file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as f:
                data = f.read()
    except OSError as exc:
        parser.exit(2, f"{parser.prog}: error: cannot read {args.file}: {exc.strerror or exc}\n")
    detector = DtmfDetector(sample_rate=8000)
    if args.alaw:
        found = detector.process_alaw(data)
    elif args.ulaw:
        found = detector.process_ulaw(data)
    else:
        if len(data) % 2:
            parser.exit(2, f"{parser.prog}: error: {args.file} has {len(data)} bytes, an odd "
                           "count: 16-bit PCM needs whole samples (use --alaw/--ulaw for G.711)\n")
        found = detector.process(data)
    out = sys.stdout
    for offset, digit in found:
        out.write(f"{offset} {digit}\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
