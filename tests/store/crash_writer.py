"""A CDR writer to be SIGKILLed: ``python -m tests.store.crash_writer DB``.

Writes call records through the real store (WAL, synchronous=FULL) as fast as
it can and prints each record's id on stdout only after ``insert`` returned,
i.e. after the commit: a printed id is an acknowledged record.
"""
from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

from firmware.store import Store
from tests.store.support import T0, call


async def main(db: Path) -> None:
    store = await Store.open(db)
    print("ready", flush=True)
    n = 0
    while True:
        rec = call(T0 + n, id=str(uuid.uuid4()))
        await store.cdr.insert(rec)
        sys.stdout.write(rec.id + "\n")
        sys.stdout.flush()
        n += 1


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
