"""Turning the bytes of a mail part or header into text when the declared charset may be wrong or missing.

Partners' mail clients declare `utf-8` for latin-1 text, `iso-8859-1` for windows-1252
(curly quotes, €) and sometimes nothing at all. The rules, in order:

1. Pure ASCII is ASCII whatever is declared.
2. Bytes that are valid UTF-8 are UTF-8: multi-byte UTF-8 sequences almost never occur
   by chance in latin-1 text, so this wins over a wrong `iso-8859-1` declaration.
3. A declared charset that decodes cleanly is used, except that `iso-8859-1`/`us-ascii`
   are read as windows-1252 (as browsers do: 0x80–0x9F are € and quotes, not controls).
4. Otherwise windows-1252, and latin-1 for the five bytes windows-1252 leaves undefined.

`decode_text` never raises and says which charset it used and whether that differs
from the declaration (the triage reports it as a warning).
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Optional

# Labels read as windows-1252 (its superset), as the WHATWG encoding standard does.
_AS_WINDOWS_1252 = {"iso-8859-1", "latin-1", "latin1", "l1", "iso8859-1", "iso_8859-1", "us-ascii", "ascii",
                    "cp1252", "windows-1252", "x-cp1252", "cp819", "ansi_x3.4-1968"}
# Charsets that are not supersets of ASCII: never guessed over, always tried first when declared.
_WIDE = ("utf-16", "utf-32")


@dataclass(frozen=True)
class Decoded:
    text: str
    charset: str           # the codec actually used
    declared: Optional[str]

    @property
    def mismatch(self) -> bool:
        """The declaration was missing or wrong for non-ASCII text."""
        if self.charset == "ascii":
            return False
        if not self.declared:
            return True
        return _canonical(self.declared) != _canonical(self.charset) and not (
            _canonical(self.declared) in _AS_WINDOWS_1252 and self.charset == "windows-1252"
        )


def _canonical(label: Optional[str]) -> str:
    label = (label or "").strip().strip('"').lower()
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):  # unknown, or a label with a NUL in it
        return label


def _known(label: Optional[str]) -> Optional[str]:
    """The label when Python has a text codec by that name (not base64, rot13, …), else None."""
    if not label:
        return None
    label = label.strip().strip('"\'').lower()
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    return label if getattr(info, "_is_text_encoding", True) else None


def decode_text(data: bytes, declared: Optional[str] = None) -> Decoded:
    """The text of `data`, whatever `declared` says (see the module docstring for the rules)."""
    declared_label = (declared or "").strip().strip('"\'').lower() or None
    known = _known(declared_label)
    if known and _canonical(known).startswith(_WIDE):
        try:
            return Decoded(data.decode(known), _canonical(known), declared_label)
        except (UnicodeError, LookupError, ValueError):
            pass
    if data.isascii():
        return Decoded(data.decode("ascii"), "ascii", declared_label)
    try:
        return Decoded(data.decode("utf-8"), "utf-8", declared_label)
    except UnicodeDecodeError:
        pass
    if known and _canonical(known) != "utf-8" and known not in _AS_WINDOWS_1252:
        try:
            return Decoded(data.decode(known), _canonical(known), declared_label)
        except (UnicodeError, LookupError, ValueError):
            pass
    try:
        return Decoded(data.decode("windows-1252"), "windows-1252", declared_label)
    except UnicodeDecodeError:
        return Decoded(data.decode("latin-1"), "latin-1", declared_label)


def repair_header(value: str) -> str:
    """A header value that arrived as raw 8-bit bytes (surrogate-escaped by the parser) as proper text."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    return decode_text(raw).text
