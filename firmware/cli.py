"""The ``callbox`` command: run the appliance, check its config, self-test the hardware."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from firmware import cli_crm, cli_image
from firmware import config as config_mod
from firmware.errors import CallboxError

DEFAULT_CONFIG = Path("callbox.toml")


def _config_path(path: str | None) -> Path | None:
    if path is not None:
        return Path(path)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def _load_config(path: str | None) -> config_mod.Config:
    return config_mod.load(_config_path(path))


def summary(cfg: config_mod.Config, source: Path | None) -> str:
    """What ``check-config`` prints: the file it read and what the box will do, in words."""
    head = (f"configuration ok: {source.resolve()}" if source is not None else
            f"configuration ok: no config file found ({DEFAULT_CONFIG} in "
            f"{Path.cwd()}); built-in defaults apply")
    m, a = cfg.media, cfg.analog
    rows = [
        ("hardware", "simulated card (sim)" if cfg.hardware.profile == "sim"
         else f"{cfg.hardware.profile} board"),
        ("web UI", f"http://{cfg.web.listen}:{cfg.web.port}/"),
        ("SIP edge", f"udp {cfg.sip.listen}:{cfg.sip.port}, realm {cfg.sip.realm}"),
        ("media nodes", f"{m.nodes_min}-{m.nodes_max}, {m.legs_per_node} legs each, "
                        f"SIP ports from {m.sip_port_base}, RTP from {m.rtp_port_base}"),
    ]
    for n, span in ((1, cfg.e1_span1), (2, cfg.e1_span2)):
        rows.append((f"E1 span {n}", f"{span.signalling}, {span.framing}, {span.line_code}, "
                                     f"clock from {span.clock}"))
    rows += [("analog", f"{a.country}, impedance {a.impedance}"),
             ("data", str(cfg.var_dir)),
             ("discovery", "announced on the LAN (zeroconf)" if cfg.discovery.enabled
              else "off"),
             ("demo", f"{cfg.demo.seats} seats on first start")]
    if cfg.web.listen == "127.0.0.1" or cfg.sip.listen == "127.0.0.1":
        rows.append(("note", "127.0.0.1 is reachable from this machine only; set "
                             "[web] listen / [sip] listen to the LAN address for phones "
                             "and browsers on the network"))
    width = max(len(k) for k, _ in rows)
    return "\n".join([head] + [f"  {k.ljust(width)}  {v}" for k, v in rows])


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
    cli_image.add_parsers(sub)
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
    if args.command in cli_image.COMMANDS:
        return cli_image.run(args)
    try:
        cfg = _load_config(args.config)
    except CallboxError as exc:
        print(f"callbox: bad configuration: {exc}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        print(summary(cfg, _config_path(args.config)))
        return 0
    if args.command in cli_crm.COMMANDS:
        return cli_crm.run(cfg, args)
    from firmware import app
    app.configure_logging(args.log_level, cfg.var_dir / "log" / "callbox.log")
    try:
        restore = asyncio.run(app.serve(cfg, config_path=_config_path(args.config)))
    except CallboxError as exc:
        print(f"callbox: {exc}", file=sys.stderr)
        return 1
    if restore is not None:             # asked for on the system page: firmware/restore_live.py
        from firmware import restore_live
        restore_live.carry_out(restore, cfg.var_dir)
        restore_live.start_again()
    return 0


if __name__ == "__main__":
    sys.exit(main())
