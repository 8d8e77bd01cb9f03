"""What the sender actually wrote: quoted replies, signatures and greetings removed, forwards kept apart.

A message is read line by line into sections: the sender's own text first, then one section
per forwarded message (its header lines are kept for the domains they name; nested forwards
are flattened in order). A reply header ("On … wrote:", "Em … escreveu:", an Outlook
"From:/Sent:" block in a reply) ends the useful text: below it is the earlier thread.
Quoted lines ("> …") are dropped anywhere. A signature (the "-- " line, "Sent from my
iPhone", a line that is only a sign-off such as "Abs," or "Best regards,") ends its section.
Greeting lines at the start of a section ("Hi team,", "Oi pessoal, tudo bem?") are dropped,
and so is a last line that is only the sender's name.
The patterns and word lists are data: data/triage/cleaning.yml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from bot.triage.texts import data
from rules.folding import fold


@dataclass
class Section:
    headers: list = field(default_factory=list)  # "From: Ana <ana@acme.com>", … (forwarded sections)
    lines: list = field(default_factory=list)
    has_text: bool = False  # a non-blank line was kept

    @property
    def text(self) -> str:
        return _join(self.lines)


@dataclass
class CleanMessage:
    own: Section
    forwarded: list  # of Section, in the order they appear
    removed: set = field(default_factory=set)  # what was taken out: quote, reply, signature, greeting

    @property
    def text(self) -> str:
        """The sender's own words."""
        return self.own.text

    @property
    def forwarded_text(self) -> str:
        return "\n\n".join(s.text for s in self.forwarded if s.text)

    @property
    def all_text(self) -> str:
        """Own words and forwarded messages' words (no quoted thread, no signatures)."""
        return "\n\n".join(t for t in [self.text, self.forwarded_text] if t)

    @property
    def forwarded_headers(self) -> list:
        return [h for s in self.forwarded for h in s.headers]


def _join(lines: list) -> str:
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


class _Patterns:
    def __init__(self, vocab: dict):
        flags = re.IGNORECASE
        self.reply_header = [re.compile(p, flags) for p in vocab["reply_header"]]
        self.outlook_separator = [re.compile(p, flags) for p in vocab["outlook_separator"]]
        self.reply_start = [re.compile(p, flags) for p in vocab["reply_header_start"]]
        self.reply_end = [re.compile(p, flags) for p in vocab["reply_header_end"]]
        self.forward_marker = [re.compile(p, flags) for p in vocab["forward_marker"]]
        self.forwarded_header = re.compile(vocab["forwarded_header"], flags)
        self.outlook_from = re.compile(vocab["outlook_header_from"], flags)
        self.outlook_next = re.compile(vocab["outlook_header_next"], flags)
        self.reply_prefix = re.compile(vocab["reply_prefix"], flags)
        self.forward_prefix = re.compile(vocab["forward_prefix"], flags)
        self.signature_delimiter = re.compile(vocab["signature_delimiter"])
        self.signature_lines = [re.compile(p, flags) for p in vocab["signature_lines"]]
        phrases = sorted({fold(p) for words in vocab["sign_offs"].values() for p in words}, key=len, reverse=True)
        # The sign-off, then at most three words (a name: "Abs, Marina", "Thanks, John Smith").
        self.sign_off = re.compile(r"^(?:%s)[\s,.!;:–-]*(?:[^\W\d_]+[\s,.]*){0,3}$" % "|".join(map(re.escape, phrases)))
        self.greetings = [re.compile(p, flags) for p in vocab["greetings"]]
        self.greeting_max_words = int(vocab["greeting_max_words"])
        self.noise = [re.compile(p, flags) for p in vocab.get("noise_lines", [])]


@lru_cache(maxsize=1)
def patterns() -> _Patterns:
    return _Patterns(data("cleaning"))


def subject_parts(subject: str) -> tuple:
    """(subject without Re:/Fwd:/ENC:/RES: prefixes, whether its latest prefix is a forward)."""
    p = patterns()
    text = subject or ""
    forward = None
    while True:
        reply = p.reply_prefix.match(text)
        fwd = p.forward_prefix.match(text)
        if not reply and not fwd:
            break
        if forward is None:
            forward = bool(fwd)
        text = text[(reply or fwd).end():]
    return text.strip(), bool(forward)


def is_reply(subject: str) -> bool:
    """The subject's latest prefix is a reply's ("Re:", "RES:", "AW:")."""
    return bool(patterns().reply_prefix.match(subject or ""))


def clean_subject(subject: str) -> str:
    return subject_parts(subject)[0]


def _matches(patterns_list, line: str) -> bool:
    return any(p.search(line) for p in patterns_list)


def _is_reply_header(lines: list, index: int) -> bool:
    p = patterns()
    line = lines[index].strip()
    if _matches(p.reply_header, line):
        return True
    if _matches(p.reply_start, line):
        # "On Mon, 3 Jun 2024 at 10:00, Ana Souza <ana@x.com>" / "wrote:" split over lines.
        joined = line
        for follow in lines[index + 1:index + 3]:
            joined = f"{joined} {follow.strip()}"
            if _matches(p.reply_end, follow.strip()) and len(joined) < 300:
                return True
    return False


def _is_outlook_header(lines: list, index: int) -> bool:
    p = patterns()
    if not p.outlook_from.match(lines[index].strip()):
        return False
    return any(p.outlook_next.match(follow.strip()) for follow in lines[index + 1:index + 4])


def is_sign_off(line: str) -> bool:
    return bool(patterns().sign_off.match(fold(line.strip())))


def is_greeting(line: str) -> bool:
    p = patterns()
    stripped = line.strip()
    return len(stripped.split()) <= p.greeting_max_words and _matches(p.greetings, stripped)


def _drop_trailing_name(section: Section, names: set, removed: set) -> None:
    """A section ending with a line that is only the sender's name ("Hannah", "Lucia Restrepo")."""
    while section.lines and not section.lines[-1].strip():
        section.lines.pop()
    if len(section.lines) > 1 and fold(section.lines[-1].strip().strip(",.!")) in names:
        section.lines.pop()
        removed.add("signature")


def clean_message(body: str, subject: str = "", sender_name: str = "") -> CleanMessage:
    """Split `body` into the sender's own text and the forwarded messages (see the module docstring)."""
    p = patterns()
    _, is_forward = subject_parts(subject)
    lines = body.splitlines()
    own = Section()
    forwarded: list = []
    removed: set = set()
    current = own
    in_headers = False   # reading a forwarded block's header lines
    in_signature = False
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        index += 1
        if _matches(p.forward_marker, stripped):
            current = Section()
            forwarded.append(current)
            in_headers, in_signature = True, False
            continue
        if stripped.startswith(">"):
            removed.add("quote")
            continue
        if in_headers:
            if p.forwarded_header.match(stripped) or (not stripped and not current.headers):
                if stripped:
                    current.headers.append(stripped)
                continue
            if current.headers and not stripped:
                in_headers = False
                continue
            in_headers = False
        if _is_outlook_header(lines, index - 1) or _matches(p.outlook_separator, stripped):
            if is_forward:
                # An Outlook forward: the header block starts a forwarded section.
                current = Section()
                forwarded.append(current)
                in_signature = False
                if p.outlook_from.match(stripped):
                    current.headers.append(stripped)
                in_headers = True
                continue
            removed.add("reply")
            break
        if _is_reply_header(lines, index - 1):
            removed.add("reply")
            break
        if in_signature:
            continue
        if _matches(p.noise, stripped):
            continue
        content = current.has_text
        if p.signature_delimiter.match(line) or _matches(p.signature_lines, stripped) or (content and is_sign_off(stripped)):
            removed.add("signature")
            in_signature = True
            continue
        if not content and stripped and is_greeting(stripped):
            removed.add("greeting")
            continue
        if not content and not stripped:
            continue
        current.lines.append(line)
        current.has_text = current.has_text or bool(stripped)
    names = {fold(sender_name.strip())} | {fold(w) for w in sender_name.split()[:1]} if sender_name.strip() else set()
    if names:
        _drop_trailing_name(own, names, removed)
    return CleanMessage(own=own, forwarded=forwarded, removed=removed)


def questions(text: str, min_words: int = 3) -> list:
    """The sentences of `text` that end in a question mark ("Como funciona o registro de leads?")."""
    sentences = re.split(r"(?<=[?!.])\s+", " ".join(text.split()))
    return [s for s in sentences if s.endswith("?") and len(s.split()) >= min_words]


def paragraphs(text: str) -> list:
    """Blocks of text separated by blank lines, each on one line."""
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip()]
