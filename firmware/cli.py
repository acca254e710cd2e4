"""The ``callbox`` command: run the appliance, check its config, self-test the hardware."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from firmware import cli_crm
from firmware import config as config_mod
from firmware.errors import CallboxError

DEFAULT_CONFIG = Path("callbox.toml")


def _load_config(path: str | None) -> config_mod.Config:
    if path is not None:
        return config_mod.load(Path(path))
    return config_mod.load(DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="callbox",
        description="Callbox call-center appliance. Without a config file the box starts "
                    "its embedded default: simulated hardware, Kamailio on "
                    "127.0.0.1:5060, web UI on http://127.0.0.1:8080, data under ./var.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="start the appliance (Ctrl-C stops it)")
    run.add_argument("--config", metavar="PATH",
                     help="callbox.toml to use (default: ./callbox.toml if present)")
    run.add_argument("--log-level", default="INFO",
                     choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    chk = sub.add_parser("check-config", help="validate a callbox.toml and print the result")
    chk.add_argument("--config", metavar="PATH")
    cli_crm.add_parsers(sub)
    sub.add_parser("selftest", add_help=False,
                   help="technician hardware self-test (see: callbox selftest --help)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["selftest"]:
        from hw_tests.cli import main as selftest_main
        return selftest_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        cfg = _load_config(args.config)
    except CallboxError as exc:
        print(f"callbox: bad configuration: {exc}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        print(f"configuration ok: {cfg}")
        return 0
    if args.command in cli_crm.COMMANDS:
        return cli_crm.run(cfg, args)
    from firmware import app
    app.configure_logging(args.log_level, cfg.var_dir / "log" / "callbox.log")
    try:
        asyncio.run(app.serve(cfg))
    except CallboxError as exc:
        print(f"callbox: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
