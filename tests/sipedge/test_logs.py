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
        " 1(77) NOTICE: <script>: AUTH_FAILED user=201 src=127.0.0.1:5093 method=REGISTER"))
    assert ev is not None and ev.kind == "sip.auth_failed"
    assert ev.data == {"user": "201", "src": "127.0.0.1:5093", "method": "REGISTER"}


def test_escaped_user_name_cannot_forge_the_source() -> None:
    # the script logs $(au{s.escape.user}): spaces and '=' in a user name arrive escaped
    ev = security_event(parse_line(
        " 1(77) NOTICE: <script>: AUTH_FAILED user=x%20src%3D6.6.6.6:1%20method%3DINVITE "
        "src=192.0.2.7:5060 method=REGISTER"))
    assert ev is not None
    assert ev.data == {"user": "x src=6.6.6.6:1 method=INVITE", "src": "192.0.2.7:5060",
                       "method": "REGISTER"}


def test_unescaped_spaces_in_user_do_not_match() -> None:
    line = parse_line(" 1(77) NOTICE: <script>: AUTH_FAILED user=x src=6.6.6.6:1 method=INVITE "
                      "src=192.0.2.7:5060 method=REGISTER")
    assert security_event(line) is None


def test_line_break_in_logged_text_cannot_start_a_script_line() -> None:
    # a continuation line has no "N(pid) LEVEL:" prefix, and only <script> lines count
    assert security_event(parse_line(
        "AUTH_FAILED user=201 src=6.6.6.6:1 method=REGISTER")) is None
    assert security_event(parse_line(
        " 1(77) ERROR: <core> [parser]: AUTH_FAILED user=201 src=6.6.6.6:1 method=REGISTER"
    )) is None


def test_flood_line_becomes_event() -> None:
    ev = security_event(parse_line(
        " 2(78) ALERT: <script>: FLOOD_BLOCKED src=203.0.113.9:5060 method=OPTIONS"))
    assert ev is not None and ev.kind == "sip.flood_blocked"
    assert ev.data == {"src": "203.0.113.9:5060", "method": "OPTIONS"}
