# SPDX-License-Identifier: MIT
"""The kiosk (sim-machine kiosk) reads its input robustly: a NUL byte or an
escape sequence in a line gets that line refused with a message, never the
next command swallowed, and nothing but printable text is echoed back."""
import os
import subprocess

import pytest


def _kiosk(stdin):
    exe = os.environ.get("CV_SIM_MACHINE")
    if not exe:
        pytest.fail("CV_SIM_MACHINE is not set (run through meson test)")
    out = subprocess.run([exe, "kiosk"], input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=60, check=True).stdout
    return out


def _menus(out):
    return out.count(b"A1  Snickers")


def test_a_nul_byte_refuses_its_line_and_keeps_the_next_command():
    out = _kiosk(b"A1\x00junk\nmenu\nquit\n")
    assert b"line refused: byte 0x00" in out
    assert _menus(out) == 2, out  # the greeting's menu and the one asked for
    assert b"junk" not in out


def test_escape_sequences_are_never_echoed():
    out = _kiosk(b"\x1b[2Jhello\nno-such\x1b]0;title\x07\nmenu\nquit\n")
    assert b"\x1b" not in out and b"\x07" not in out, out
    assert out.count(b"line refused: byte 0x1b") == 2
    assert _menus(out) == 2


def test_an_unknown_word_is_echoed_as_typed_when_printable():
    out = _kiosk(b"zz9\nquit\n")
    assert b"unknown command or lane 'zz9'" in out


def test_a_long_line_is_refused_whole():
    out = _kiosk(b"A" * 500 + b"\nmenu\nquit\n")
    assert b"line too long" in out
    assert _menus(out) == 2
