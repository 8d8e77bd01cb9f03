"""One email's bytes as the few things the triage needs: who, what, when, which thread, and its text.

Parsing is lenient (Python's compat32 parser never gives up on odd mail); what it cannot
fix becomes a warning, not an error. Text parts are decoded by `charsets.decode_text`
(wrong or missing charset declarations), HTML-only mail is converted to text, and
attachments are skipped (a forwarded message attached as message/rfc822 is kept as a
forwarded section: it is usually what the partner is asking about). A multipart message
whose boundaries are broken is cut at its boundary lines by hand. Only bytes that are no
email at all (no header we know) raise `NotAnEmail`.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Optional

from bot.triage.charsets import decode_text, repair_header
from bot.triage.html_text import html_to_text
from bot.triage.texts import settings

# Any one of these makes bytes an email message.
KNOWN_HEADERS = ("from", "to", "subject", "date", "message-id", "received", "mime-version", "content-type",
                 "return-path", "delivered-to", "sender", "reply-to", "cc")
# A message id: no spaces, controls or line separators inside the angle brackets.
_MSGID = re.compile(r"<[^<>\s\x00-\x1f\x7f\x85\u2028\u2029]+>")
_BOUNDARY_LINE = re.compile(r"^--[^\s]{3,}\s*$", re.MULTILINE)
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:")
# How a forwarded message/rfc822 part is introduced in the text (the cleaning step recognises it).
FORWARD_MARKER = "---------- Forwarded message ---------"


class NotAnEmail(Exception):
    """The bytes are not an email message; `code` names the message of data/triage/cli.yml."""

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass
class IncomingEmail:
    source: str
    message_id: Optional[str]
    from_address: Optional[str]
    from_name: str
    subject: str
    date: Optional[dt.datetime]
    references: list
    body: str
    attachments: int = 0
    warnings: list = field(default_factory=list)

    @property
    def sender_domain(self) -> Optional[str]:
        if not self.from_address or "@" not in self.from_address:
            return None
        return self.from_address.rsplit("@", 1)[1]


# --- headers ----------------------------------------------------------------------------------


def raw_header(msg: Message, name: str) -> Optional[str]:
    """The first `name` header as it was written (unfolded), without the parser's interpretation."""
    for key, value in msg.raw_items():
        if key.lower() == name:
            if not isinstance(value, str):
                value = str(value)
            return re.sub(r"\r?\n[ \t]+", " ", value).strip()
    return None


def decode_header_text(value: Optional[str]) -> str:
    """A header's text: RFC 2047 encoded words and raw 8-bit bytes decoded, wrong charsets tolerated."""
    if not value:
        return ""
    value = repair_header(value)
    try:
        chunks = decode_header(value)
    except Exception:  # a broken encoded word: keep the text as written
        return " ".join(value.split())
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            if charset:
                parts.append(decode_text(chunk, charset).text)
            else:
                parts.append(chunk.decode("raw-unicode-escape", errors="replace"))
        else:
            parts.append(chunk)
    return " ".join("".join(parts).split())


def sender(msg: Message) -> tuple:
    """(name, address) of From (Sender when From has no address); address lower-cased or None."""
    for name in ("from", "sender", "reply-to"):
        raw = raw_header(msg, name)
        if not raw:
            continue
        for display, address in getaddresses([repair_header(raw)]):
            address = address.strip().strip("<>").lower()
            if "@" in address and all(ch.isprintable() and not ch.isspace() for ch in address):
                return decode_header_text(display).strip(' "\''), address
    return "", None


def message_date(msg: Message) -> Optional[dt.datetime]:
    raw = raw_header(msg, "date")
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def message_id(msg: Message) -> Optional[str]:
    raw = raw_header(msg, "message-id")
    if not raw:
        return None
    found = _MSGID.search(raw)
    if found:
        return found.group(0)
    bare = _MSGID.fullmatch(f"<{raw.strip('<> ')}>")  # written without its angle brackets
    return bare.group(0) if bare else None


def thread_references(msg: Message) -> list:
    """The ids of the thread so far: References, else In-Reply-To (RFC 5322 §3.6.4)."""
    for name in ("references", "in-reply-to"):
        ids = _MSGID.findall(raw_header(msg, name) or "")
        if ids:
            return ids
    return []


# --- body -------------------------------------------------------------------------------------


class _Body:
    """Collects the text parts of a message in order, skipping attachments."""

    def __init__(self) -> None:
        self.parts: list = []
        self.attachments = 0
        self.warnings: list = []
        limits = settings()
        self._max_html = int(limits["max_html_chars"])

    def warn(self, code: str) -> None:
        if code not in self.warnings:
            self.warnings.append(code)

    def _decoded(self, part: Message) -> str:
        payload = part.get_payload(decode=True)
        if payload is None:
            payload = b""
        if not isinstance(payload, bytes):
            payload = str(payload).encode("utf-8", "surrogateescape")
        if part.defects:
            if any("Base64" in type(d).__name__ or "Padding" in type(d).__name__ for d in part.defects):
                self.warn("bad_transfer_encoding")
        decoded = decode_text(payload, part.get_content_charset())
        if decoded.mismatch:
            self.warn("charset_mismatch")
        return decoded.text

    def _is_attachment(self, part: Message) -> bool:
        disposition = (part.get_content_disposition() or "").lower()
        if disposition == "attachment":
            return True
        return bool(part.get_filename()) and disposition != "inline"

    def visit(self, part: Message, depth: int = 0) -> None:
        if depth > 20:
            self.warn("too_deeply_nested")
            return
        ctype = part.get_content_type()
        if ctype == "message/rfc822" or (ctype.startswith("message/") and part.is_multipart()):
            inner = part.get_payload()
            for message in inner if isinstance(inner, list) else []:
                self.parts.append(forwarded_block(message))
                self.visit(message, depth + 1)
            return
        if part.is_multipart():
            children = part.get_payload()
            if ctype == "multipart/alternative":
                self._alternative(children, depth)
            else:
                for child in children:
                    self.visit(child, depth + 1)
            return
        if ctype.startswith("multipart/"):
            # Declared multipart but no boundary found: cut the raw body at its boundary lines.
            self.warn("broken_mime")
            self._salvage(part, depth)
            return
        if self._is_attachment(part):
            self.attachments += 1
            return
        if ctype == "text/plain":
            self.parts.append(self._decoded(part))
        elif ctype == "text/html":
            html = self._decoded(part)
            if len(html) > self._max_html:
                html = html[: self._max_html]
                self.warn("body_truncated")
            self.parts.append(html_to_text(html))
        elif part.get_content_maintype() != "text":
            self.attachments += 1

    def _alternative(self, children: list, depth: int) -> None:
        """The plain-text alternative when it has text, else the HTML one, else whatever has text."""
        by_type = {}
        for child in children:
            by_type.setdefault(child.get_content_type(), child)
        for wanted in ("text/plain", "text/html"):
            child = by_type.get(wanted)
            if child is not None and not self._is_attachment(child):
                before = len(self.parts)
                self.visit(child, depth + 1)
                if any(p.strip() for p in self.parts[before:]):
                    return
                del self.parts[before:]
        for child in children:
            if child.is_multipart():
                self.visit(child, depth + 1)
                return

    def _salvage(self, part: Message, depth: int) -> None:
        raw = part.get_payload(decode=False)
        if not isinstance(raw, str):
            return
        for chunk in _BOUNDARY_LINE.split(raw):
            chunk = chunk.strip("\r\n")
            if not chunk.strip():
                continue
            first = chunk.lstrip().splitlines()[0] if chunk.strip() else ""
            if _HEADER_LINE.match(first):
                inner = message_from_bytes(chunk.lstrip().encode("utf-8", "surrogateescape"), policy=policy.compat32)
                if inner.get_content_type().startswith("multipart/") and not inner.is_multipart():
                    self.parts.append(decode_text(str(inner.get_payload()).encode("utf-8", "surrogateescape")).text)
                else:
                    self.visit(inner, depth + 1)
            else:
                self.parts.append(decode_text(chunk.encode("utf-8", "surrogateescape"), part.get_content_charset()).text)


def forwarded_block(message: Message) -> str:
    """The header lines the mail clients write above a forwarded message."""
    name, address = sender(message)
    who = f"{name} <{address}>" if name and address else (address or name)
    lines = [FORWARD_MARKER]
    if who:
        lines.append(f"From: {who}")
    for header, label in (("date", "Date"), ("subject", "Subject"), ("to", "To")):
        value = decode_header_text(raw_header(message, header))
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines) + "\n"


def read_message(raw: bytes, source: str) -> IncomingEmail:
    """Parse one message; raises NotAnEmail for empty bytes or bytes with no email header."""
    if not raw or not raw.strip():
        raise NotAnEmail("error_empty")
    msg = message_from_bytes(raw, policy=policy.compat32)
    keys = {key.lower() for key, _ in msg.raw_items()}
    if not keys & set(KNOWN_HEADERS):
        raise NotAnEmail("error_not_email")
    body = _Body()
    body.visit(msg)
    if any("Boundary" in type(d).__name__ for d in msg.defects):
        body.warn("broken_mime")
    text = "\n\n".join(p.strip("\n") for p in body.parts if p and p.strip())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    limit = int(settings()["max_body_chars"])
    if len(text) > limit:
        # Cut at a line (or at least a space) so no word, domain or address is cut in two.
        cut = text.rfind("\n", 0, limit + 1)
        if cut < limit // 2:
            cut = max(text.rfind(" ", 0, limit + 1), 0)
        text = text[:cut or limit]
        body.warn("body_truncated")
    name, address = sender(msg)
    warnings = list(body.warnings)
    if address is None:
        warnings.append("no_sender")
    date = message_date(msg)
    if date is None and raw_header(msg, "date"):
        warnings.append("bad_date")
    return IncomingEmail(
        source=source,
        message_id=message_id(msg),
        from_address=address,
        from_name=name,
        subject=decode_header_text(raw_header(msg, "subject")),
        date=date,
        references=thread_references(msg),
        body=text,
        attachments=body.attachments,
        warnings=warnings,
    )
