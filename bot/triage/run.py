"""Triage of a whole mailbox: one line of DIR/triage.jsonl and one draft in DIR/drafts/ per message (contract §5).

`Triage.triage(email)` turns one parsed message into its record and draft; `run` reads the
mailbox, applies --since and --limit, never lets one message stop the others (a message
that fails gets a line with `error`), shows progress and returns the summary. Line n of
triage.jsonl and drafts/<n>.eml (n from 0001) are the same message.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from bot.nlu.language import detect_language
from bot.triage import cleaning, drafting, leads, mentions, review
from bot.triage.mailboxes import kind_of, eml_files, maildir_files, read_messages
from bot.triage.progress import Progress
from bot.triage.reading import IncomingEmail, NotAnEmail, read_message
from bot.triage.texts import cli_text, data, settings
from bot.triage.understanding import NOTHING, Understanding

JSONL = "triage.jsonl"
DRAFTS = "drafts"
_DRAFT_NAME = re.compile(r"^\d{4,}\.eml$")


@dataclass
class Outcome:
    record: dict
    draft: Optional[object] = None  # an EmailMessage


@dataclass
class Summary:
    messages: int = 0
    by_topic: Counter = field(default_factory=Counter)
    needs_human: int = 0
    errors: list = field(default_factory=list)  # (source, error)
    skipped: int = 0
    drafts: int = 0
    seconds: float = 0.0
    out: Optional[Path] = None

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict:
        return {
            "messages": self.messages,
            "by_topic": dict(self.by_topic.most_common()),
            "needs_human": self.needs_human,
            "errors": len(self.errors),
            "error_messages": [{"source": s, "error": e} for s, e in self.errors],
            "skipped_by_since": self.skipped,
            "drafts": self.drafts,
            "seconds": round(self.seconds, 3),
            "messages_per_second": round(self.rate, 2),
            "jsonl": str(self.out / JSONL) if self.out else None,
            "drafts_dir": str(self.out / DRAFTS) if self.out else None,
        }

    def readable(self, lang: str = "en") -> str:
        lines = [cli_text("summary_title", lang, messages=self.messages, seconds=f"{self.seconds:.1f}", rate=f"{self.rate:.1f}")]
        if self.by_topic:
            lines.append(cli_text("summary_topic_heading", lang))
            lines += [cli_text("summary_topic_line", lang, topic=t, count=c) for t, c in self.by_topic.most_common()]
        lines.append(cli_text("summary_needs_human", lang, count=self.needs_human))
        lines.append(cli_text("summary_errors", lang, count=len(self.errors)))
        lines += [cli_text("summary_error_line", lang, source=s, error=e) for s, e in self.errors]
        if self.skipped:
            lines.append(cli_text("summary_skipped", lang, count=self.skipped))
        if self.out:
            lines.append(cli_text("summary_output", lang, jsonl=self.out / JSONL, drafts=self.drafts, drafts_dir=self.out / DRAFTS))
        return "\n".join(lines)


def message_language(*texts: str) -> str:
    """pt or en: the first of `texts` whose language is clear; settings `default_language` otherwise."""
    for text in texts:
        if text and text.strip():
            found = detect_language(text)
            if found:
                return found
    return settings()["default_language"]


class Triage:
    """Triages parsed messages with a loaded classifier and an open database connection."""

    def __init__(self, classifier, conn, as_of: dt.date):
        self.classifier = classifier
        self.conn = conn
        self.as_of = as_of
        self.partners = leads.partner_domains(conn)
        self._classify = settings()["classify"]

    def candidates(self, subject: str, text: str, is_reply: bool) -> list:
        """What to classify on its own when the head is unclear: the subject, the questions, the paragraphs."""
        config = self._classify
        out = []
        if not is_reply and len(subject.split()) >= int(config["min_subject_words"]):
            out.append(subject)
        out += cleaning.questions(text, int(config["min_question_words"]))
        out += [p for p in cleaning.paragraphs(text) if len(p.split()) >= int(config["min_paragraph_words"])]
        return out

    def understand(self, subject: str, text: str, is_reply: bool = False) -> Understanding:
        """The subject (unless the message is a reply: then it names the thread) and the text."""
        head = "\n".join(t for t in ((subject if not is_reply else ""), text) if t.strip())
        if not head.strip():
            head = subject
        if not head.strip():
            return NOTHING
        return self.classifier.classify(head, self.candidates(subject, text, is_reply))

    def triage(self, email: IncomingEmail) -> Outcome:
        clean = cleaning.clean_message(email.body, email.subject, email.from_name)
        subject, _ = cleaning.subject_parts(email.subject)
        is_reply = cleaning.is_reply(email.subject)
        own = clean.text
        # A forward with (almost) nothing of the sender's own is about what it forwards.
        if len(own.split()) >= int(self._classify["own_text_min_words"]):
            text = own
        else:
            text = "\n\n".join(t for t in (own, clean.forwarded_text) if t)
        has_text = bool(subject.strip() or text.strip())
        understanding = self.understand(subject, text, is_reply) if has_text else NOTHING
        topics = data("topics")
        if not has_text:
            topic = topics["empty"]
        elif understanding.fallback:
            topic = topics["intents"]["nlu_fallback"]
        else:
            topic = understanding.topic
        language = message_language(own, text, subject)

        partner = leads.partner_of_sender(email.sender_domain, self.partners)
        partner_id, partner_domain = partner if partner else (None, None)
        exclude = [partner_domain] if partner_domain else []
        texts = [subject, own, *clean.forwarded_headers, clean.forwarded_text]
        named = mentions.message_domains(texts, None, exclude)
        domains = mentions.message_domains(texts, email.sender_domain, exclude)
        checks = leads.check_domains(self.conn, domains, partner_id, self.as_of)

        dispute = review.is_commission_dispute(f"{subject}\n{clean.all_text}")
        reasons = review.review_reasons(understanding, has_text, dispute)
        needs_human = bool(reasons)
        in_draft = [c for c in checks if c.domain in named] if topic in topics["lead_topics"] else []
        body = drafting.reply_text_for(
            language, drafting.first_name(email.from_name), topic,
            understanding.faq_id if not understanding.fallback else None,
            in_draft, dispute, needs_human,
        )
        record = {
            "message_id": email.message_id,
            "from": email.from_address,
            "subject": email.subject,
            "language": language,
            "topic": topic,
            "domains": domains,
            "lead_checks": [c.as_dict(language, staff=True) for c in checks],
            "needs_human": needs_human,
            "reply_draft": body,
            # Extra keys (contract §5 allows more fields).
            "from_name": email.from_name,
            "date": email.date.isoformat() if email.date else None,
            "intent": understanding.label if has_text else None,
            "faq_id": understanding.faq_id if not understanding.fallback else None,
            "confidence": understanding.confidence if has_text else None,
            "needs_human_reasons": reasons,
            "partner_id": partner_id,
            "attachments_ignored": email.attachments,
            "warnings": email.warnings,
            "source": email.source,
        }
        draft = drafting.reply_message(
            to_name=email.from_name, to_address=email.from_address, subject=email.subject,
            message_id=email.message_id, references=email.references, body=body, lang=language,
            topic=topic, needs_human=needs_human,
        )
        return Outcome(record, draft)


def error_record(source: str, error: str, email: Optional[IncomingEmail] = None) -> dict:
    """The line of a message that could not be triaged: the contract's keys, empty, and `error`."""
    return {
        "message_id": email.message_id if email else None,
        "from": email.from_address if email else None,
        "subject": email.subject if email else None,
        "language": None,
        "topic": None,
        "domains": [],
        "lead_checks": [],
        "needs_human": True,
        "reply_draft": None,
        "needs_human_reasons": ["error"],
        "error": error,
        "source": source,
    }


def count_messages(path: Path) -> Optional[int]:
    """How many messages PATH holds when that is cheap to know (files), else None (mbox)."""
    kind = kind_of(path)
    if kind == "eml":
        return 1
    if kind == "folder":
        return len(eml_files(path))
    if kind == "maildir":
        return len(maildir_files(path))
    return None


def prepare_output(out: Path) -> Path:
    """DIR and DIR/drafts, with the numbered drafts of an earlier run removed (nothing else is touched)."""
    drafts = out / DRAFTS
    drafts.mkdir(parents=True, exist_ok=True)
    for old in drafts.iterdir():
        if _DRAFT_NAME.match(old.name) and old.is_file():
            old.unlink()
    return drafts


def run(path, out, triage: Triage, *, limit: Optional[int] = None, since: Optional[dt.date] = None,
        lang: str = "en", progress: bool = True, stream=None) -> Summary:
    """Triage every message under `path` into `out` (see the module docstring)."""
    path, out = Path(path), Path(out)
    started = time.perf_counter()
    total = None if since else count_messages(path)  # --since: how many will count is known only at the end
    if total is not None and limit is not None:
        total = min(total, limit)
    bar = Progress(cli_text("progress", lang), total, stream=stream, enabled=progress,
                   errors_label=cli_text("progress_errors", lang))
    drafts_dir = prepare_output(out)
    summary = Summary(out=out)
    width = 4
    with (out / JSONL).open("w", encoding="utf-8") as jsonl:
        for raw in read_messages(path):
            if limit is not None and summary.messages >= limit:
                break
            email = None
            outcome = None
            try:
                if raw.error:
                    raise NotAnEmail(raw.error, why=raw.why)
                email = read_message(raw.data, raw.source)
                if since and email.date and email.date.date() < since:  # the day as the sender's Date header says
                    summary.skipped += 1
                    continue
                outcome = triage.triage(email)
            except NotAnEmail as exc:
                outcome = Outcome(error_record(raw.source, cli_text(exc.code, lang, **exc.values), email))
            except Exception as exc:  # one message never stops the others
                why = f"{type(exc).__name__}: {exc}"[:300]
                outcome = Outcome(error_record(raw.source, cli_text("error_failed", lang, why=why), email))
            summary.messages += 1
            number = f"{summary.messages:0{width}d}"
            record = outcome.record
            if outcome.draft is not None:
                name = f"{number}.eml"
                try:
                    (drafts_dir / name).write_bytes(outcome.draft.as_bytes())
                    record["draft"] = f"{DRAFTS}/{name}"
                    summary.drafts += 1
                except Exception as exc:
                    record["draft"] = None
                    record.setdefault("warnings", []).append(f"draft_not_written: {type(exc).__name__}")
            jsonl.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            jsonl.flush()
            is_error = "error" in record
            if is_error:
                summary.errors.append((record["source"], record["error"]))
            else:
                summary.by_topic[record["topic"]] += 1
            summary.needs_human += int(bool(record["needs_human"]))
            bar.advance(error=is_error)
    bar.finish()
    summary.seconds = time.perf_counter() - started
    return summary
