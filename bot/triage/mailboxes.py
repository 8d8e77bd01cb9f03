"""Reading the messages of one .eml file, a folder of .eml files, an mbox file or a Maildir — read only.

Every file is opened with mode "rb" and nothing else (Python's `mailbox` module is not used:
its mbox class opens files for writing and creates missing ones). Messages come one at a
time, in order, as bytes with a `source` that tells a person where to find them
(`inbox.mbox#12`, `Maildir/cur/1717…`, `corpus/07_dispute.eml`). A file that cannot be
read comes as a message with `error` set; the others still come.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

EML_SUFFIX = ".eml"
# The separator line of an mbox file: "From sender@x.com Mon Jun  3 10:00:00 2024".
_FROM_LINE = re.compile(rb"^From \S*.*(\d\d:\d\d|\b(19|20)\d\d\b)")
_ESCAPED_FROM = re.compile(rb"^>(>*From )")


@dataclass(frozen=True)
class RawMessage:
    source: str
    data: Optional[bytes]
    error: Optional[str] = None  # a code of data/triage/cli.yml
    why: str = ""


class MailboxError(Exception):
    """PATH is no mailbox we can read (missing, unreadable); `code` names the text in data/triage/cli.yml."""

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.code = code
        self.values = values


def kind_of(path: Path) -> str:
    """'maildir', 'folder', 'mbox' or 'eml' — what PATH holds."""
    if not path.exists():
        raise MailboxError("path_missing", path=str(path))
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            return "maildir"
        return "folder"
    try:
        with path.open("rb") as handle:
            start = handle.read(1024)
    except OSError as exc:
        raise MailboxError("path_unreadable", path=str(path), why=exc.strerror or str(exc)) from None
    start = start.lstrip(b"\xef\xbb\xbf\r\n")
    if start.startswith(b"From ") and _FROM_LINE.match(start.split(b"\n", 1)[0]):
        return "mbox"
    return "eml"


def _read(path: Path, source: str) -> RawMessage:
    try:
        with path.open("rb") as handle:
            return RawMessage(source, handle.read())
    except OSError as exc:
        return RawMessage(source, None, "error_unreadable", exc.strerror or str(exc))


def _label(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def eml_files(folder: Path) -> list:
    """The .eml files under `folder` (any depth), in name order."""
    return sorted((p for p in folder.rglob("*") if p.suffix.lower() == EML_SUFFIX and p.is_file()),
                  key=lambda p: p.relative_to(folder).as_posix())


def maildir_files(folder: Path) -> list:
    """The messages of a Maildir: new/ and cur/ (tmp/ is being written), by name (delivery time)."""
    files = []
    for sub in ("new", "cur"):
        files += [p for p in (folder / sub).iterdir() if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.name, p.parent.name))


def mbox_messages(path: Path) -> Iterator[RawMessage]:
    """The messages of an mbox file, streamed: a "From " line after a blank line starts each one.

    ">From " lines (escaped by the writer) lose one ">". The blank line before a separator
    belongs to the separator, not to the message.
    """
    label = _label(path, path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield RawMessage(label, None, "error_unreadable", exc.strerror or str(exc))
        return
    with handle:
        lines: Optional[list] = None
        index = 0
        previous_blank = True
        for line in handle:
            if line.startswith(b"From ") and (previous_blank or lines is None) and _FROM_LINE.match(line):
                if lines is not None:
                    yield _mbox_entry(label, index, lines)
                lines = []
                index += 1
            elif lines is not None:
                lines.append(_ESCAPED_FROM.sub(rb"\1", line))
            previous_blank = not line.strip()
        if lines is not None:
            yield _mbox_entry(label, index, lines)


def _mbox_entry(label: str, index: int, lines: list) -> RawMessage:
    if lines and not lines[-1].strip():
        lines = lines[:-1]
    return RawMessage(f"{label}#{index}", b"".join(lines))


def read_messages(path) -> Iterator[RawMessage]:
    """Every message under PATH, in order (raises MailboxError when PATH itself is missing or unreadable)."""
    path = Path(path)
    kind = kind_of(path)
    if kind == "mbox":
        yield from mbox_messages(path)
    elif kind == "eml":
        yield _read(path, _label(path, path))
    else:
        try:
            files = maildir_files(path) if kind == "maildir" else eml_files(path)
        except OSError as exc:
            raise MailboxError("path_unreadable", path=str(path), why=exc.strerror or str(exc)) from None
        for file in files:
            yield _read(file, _label(file, path))
