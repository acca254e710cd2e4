"""Kamailio log lines -> logging levels and security events; forged lines stay lines."""
from __future__ import annotations

import logging

from firmware.sipedge.logs import parse_line, security_event


def test_kamailio_line_is_split_into_pid_level_text() -> None:
    line = parse_line(" 3(4242) WARNING: dispatcher [dispatch.c:1103]: ds_load_db(): empty\n")
    assert (line.pid, line.level, line.level_name) == (4242, logging.WARNING, "WARNING")
    assert line.text == "dispatcher [dispatch.c:1103]: ds_load_db(): empty"
    assert parse_line(" 0(1) INFO: <core> x").level == logging.DEBUG
    assert parse_line(" 0(1) CRITICAL: <core> x").level == logging.CRITICAL


def test_banner_lines_are_kept_as_raw_text() -> None:
    line = parse_line("Listening on \n")
    assert (line.pid, line.level_name, line.text) == (None, "RAW", "Listening on ")
    assert security_event(line) is None


def test_auth_failed_line_becomes_event() -> None:
    ev = security_event(parse_line(
        " 1(77) NOTICE: <script>: SECURITY event=auth_failed ip=127.0.0.66 port=5093 user=201 "
        "method=REGISTER count=3"))
    assert ev is not None and ev.kind == "security.auth_failed"
    assert ev.data == {"ip": "127.0.0.66", "port": 5093, "user": "201", "method": "REGISTER",
                       "count": 3}


def test_ban_line_becomes_event_with_its_reason_and_user_agent() -> None:
    ev = security_event(parse_line(
        " 2(78) ALERT: <script>: SECURITY event=banned ip=203.0.113.9 port=5060 reason=scanner "
        "method=OPTIONS ua=friendly-scanner seconds=300"))
    assert ev is not None and ev.kind == "security.banned"
    assert ev.data == {"ip": "203.0.113.9", "port": 5060, "reason": "scanner",
                       "method": "OPTIONS", "ua": "friendly-scanner", "seconds": 300}


def test_escaped_user_name_cannot_forge_the_source() -> None:
    # the script logs $(au{s.escape.user}): spaces and '=' in a user name arrive escaped
    ev = security_event(parse_line(
        " 1(77) NOTICE: <script>: SECURITY event=auth_failed ip=192.0.2.7 port=5060 "
        "user=x%20ip%3D6.6.6.6%20method%3DINVITE method=REGISTER count=1"))
    assert ev is not None
    assert ev.data == {"ip": "192.0.2.7", "port": 5060, "user": "x ip=6.6.6.6 method=INVITE",
                       "method": "REGISTER", "count": 1}


def test_unescaped_spaces_in_user_make_a_repeated_field_and_no_event() -> None:
    line = parse_line(" 1(77) NOTICE: <script>: SECURITY event=auth_failed ip=192.0.2.7 "
                      "port=5060 user=x ip=6.6.6.6 method=REGISTER count=1")
    assert security_event(line) is None


def test_absent_user_agent_is_empty_not_the_null_marker() -> None:
    ev = security_event(parse_line(
        " 2(78) ALERT: <script>: SECURITY event=banned ip=10.0.0.1 port=5060 reason=flood "
        "method=INVITE ua=<null> seconds=300"))
    assert ev is not None and ev.data["ua"] == ""


def test_line_break_in_logged_text_cannot_start_a_script_line() -> None:
    # a continuation line has no "N(pid) LEVEL:" prefix, and only <script> lines count
    assert security_event(parse_line(
        "SECURITY event=banned ip=6.6.6.6 port=1 reason=flood")) is None
    assert security_event(parse_line(
        " 1(77) ERROR: <core> [parser]: SECURITY event=banned ip=6.6.6.6 port=1")) is None


def test_unknown_kind_bad_address_or_bad_number_is_no_event() -> None:
    for text in ("SECURITY event=reboot ip=10.0.0.1 port=1",
                 "SECURITY event=banned ip=not-an-ip port=1 reason=flood",
                 "SECURITY event=banned ip=10.0.0.1 port=x reason=flood",
                 "SECURITY event=banned ip=10.0.0.1 port=1 seconds=-3"):
        assert security_event(parse_line(f" 1(7) ALERT: <script>: {text}")) is None, text
