"""Decoding mail text whose charset declaration is wrong or missing (bot/triage/charsets.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from bot.triage.charsets import decode_text, repair_header

PT = "Não recebi a comissão: ação, coração, informação"


@pytest.mark.parametrize(
    "data, declared, text, charset, mismatch",
    [
        (PT.encode("utf-8"), "utf-8", PT, "utf-8", False),
        (PT.encode("latin-1"), "utf-8", PT, "windows-1252", True),          # latin-1 declared as utf-8
        (PT.encode("latin-1"), None, PT, "windows-1252", True),             # nothing declared
        (PT.encode("utf-8"), "iso-8859-1", PT, "utf-8", True),              # utf-8 declared as latin-1
        ("“aspas” – €".encode("cp1252"), "iso-8859-1", "“aspas” – €", "windows-1252", False),  # latin-1 label = cp1252
        ("“aspas” – €".encode("cp1252"), "utf-8", "“aspas” – €", "windows-1252", True),
        (b"plain ascii", "utf-8", "plain ascii", "ascii", False),
        (b"plain ascii", "x-no-such-charset", "plain ascii", "ascii", False),
        ("olá".encode("utf-16"), "utf-16", "olá", "utf-16", False),
        (PT.encode("iso-8859-15"), "iso-8859-15", PT, "iso8859-15", False),         # another declared charset that fits
    ],
)
def test_decodes_whatever_is_declared(data, declared, text, charset, mismatch):
    decoded = decode_text(data, declared)
    assert decoded.text == text
    assert decoded.charset == charset
    assert decoded.mismatch is mismatch


def test_bytes_undefined_in_windows_1252_fall_back_to_latin_1():
    decoded = decode_text(b"\x81\x8d caf\xe9", None)
    assert decoded.text == "\x81\x8d café"
    assert decoded.charset == "latin-1"


def test_raw_8bit_header_is_repaired():
    raw = "Comissão".encode("utf-8").decode("ascii", "surrogateescape")
    assert repair_header(raw) == "Comissão"
    raw_latin = "Comissão".encode("latin-1").decode("ascii", "surrogateescape")
    assert repair_header(raw_latin) == "Comissão"
    assert repair_header("plain") == "plain"


@given(st.binary(max_size=300), st.sampled_from([None, "utf-8", "iso-8859-1", "windows-1252", "bogus", "utf-16"]))
def test_never_raises_and_always_gives_text(data, declared):
    decoded = decode_text(data, declared)
    assert isinstance(decoded.text, str)


@given(st.text(max_size=200))
def test_utf8_text_round_trips_whatever_the_declaration(text):
    assert decode_text(text.encode("utf-8"), "iso-8859-1").text == text
