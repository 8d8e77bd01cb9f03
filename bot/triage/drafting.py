"""Reply drafts: the text (greeting, FAQ answer or flow text, lead checks, sign-off) and the .eml reply.

Every piece of text is data: the frame in data/triage/replies.yml, the answers in
data/faq/<id>.yml (bot.knowledge), the lead summaries and next steps from the rules engine
(rules/texts/), all in the sender's language. Lead checks appear in the partner's view:
a draft never names the partner that owns a lead.
"""
from __future__ import annotations

import datetime as dt
import re
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from typing import Optional

from bot.knowledge import faq_entry
from bot.triage.cleaning import patterns
from bot.triage.texts import data, has_reply_text, reply_text, settings


def first_name(display_name: str) -> Optional[str]:
    """The first word of a display name, as people write it ("MARINA COSTA" → "Marina"); None if there is none."""
    name = (display_name or "").strip().strip("\"'")
    if "," in name:  # "Costa, Marina"
        name = name.split(",", 1)[1].strip() or name.split(",", 1)[0]
    words = [w for w in re.split(r"\s+", name) if w]
    if not words or "@" in words[0] or not re.match(r"^[^\W\d_][^\W\d_'’.-]*", words[0]):
        return None
    word = words[0].strip(".,;:")
    return word.capitalize() if word.isupper() or word.islower() else word


def _faq_block(faq_id: str, lang: str) -> Optional[str]:
    entry = faq_entry(faq_id)
    if entry is None:
        return None
    return f"{reply_text('faq_intro', lang, question=entry.question_in(lang))}\n\n{entry.answer_in(lang)}"


def _lead_block(checks: list, lang: str) -> str:
    lines = [reply_text("leads_intro", lang)]
    for check in checks:
        lines.append(reply_text("lead_summary_line", lang, summary=check.summary_text(lang, staff=False)))
        steps = [s.text[lang] for s in check.next_steps]
        if steps:
            lines.append(reply_text("lead_next_steps", lang, domain=check.display_domain))
            lines += [reply_text("lead_step_line", lang, number=i, step=step) for i, step in enumerate(steps, 1)]
    return "\n".join(lines)


def reply_text_for(lang: str, name: Optional[str], topic: str, faq_id: Optional[str], lead_checks: list,
                   dispute: bool, needs_human: bool) -> str:
    """The draft's text in `lang` (see the module docstring for its parts)."""
    topics = data("topics")
    blocks = [reply_text("greeting_named", lang, name=name) if name else reply_text("greeting_anonymous", lang),
              reply_text("opening", lang)]
    if dispute:
        blocks.append(reply_text("dispute", lang))
    content = None
    if faq_id:
        content = _faq_block(faq_id, lang)
    elif topic in topics.get("topic_faq", {}):
        content = _faq_block(topics["topic_faq"][topic], lang)
    elif topic == "lead_check" and lead_checks:
        content = None  # the checks below are the answer
    elif has_reply_text(f"topic_text.{topic}"):
        content = reply_text(f"topic_text.{topic}", lang)
    else:
        content = reply_text("topic_text.unclear", lang)
    if content:
        blocks.append(content)
    if lead_checks:
        blocks.append(_lead_block(lead_checks, lang))
    if needs_human and not dispute and topic != "handoff":
        blocks.append(reply_text("follow_up", lang))
    blocks.append(reply_text("sign_off", lang))
    return "\n\n".join(blocks) + "\n"


_ENCODED_WORD_SYNTAX = re.compile(r"=\?[^?\s]*\?[bqBQ]\?|\?=")


def one_line(text: str) -> str:
    """A header value without control characters, line breaks of any kind, or leftovers of an
    encoded word that could not be decoded ("=?UTF-8?B?…?="; Python's email package chokes on them)."""
    text = "".join(ch if ch.isprintable() or ch.isspace() else " " for ch in text or "")
    return " ".join(_ENCODED_WORD_SYNTAX.sub(" ", text).split())


def header_address(name: str, address: Optional[str]) -> Optional[str]:
    """"Name <address>" for a To header; None when the address cannot be written in one (non-ASCII local part)."""
    if not address or "@" not in address:
        return None
    local, _, domain = address.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*", domain) or not local.isascii() or not local or any(ch.isspace() or not ch.isprintable() for ch in local):
        return None
    name = one_line(name)
    return formataddr((name, f"{local}@{domain}")) if name else f"{local}@{domain}"


def reply_subject(subject: str) -> str:
    """"Re: " and the subject, without doubling an existing reply prefix ("RE: x" → "Re: x")."""
    rest = patterns().reply_prefix.sub("", one_line(subject), count=1).strip()
    return f"Re: {rest}" if rest else "Re:"


def reply_message(*, to_name: str, to_address: Optional[str], subject: str, message_id: Optional[str],
                  references: list, body: str, lang: str, topic: str, needs_human: bool,
                  now: Optional[dt.datetime] = None) -> EmailMessage:
    """The draft as an email: From the partner team, To the sender, threaded by In-Reply-To/References.

    A sender address that cannot be written in a header leaves To empty (the jsonl still has it).
    """
    sender = settings()["reply_from"]
    sender_domain = getaddresses([sender])[0][1].rsplit("@", 1)[-1]
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    to = header_address(to_name, to_address)
    if to:
        msg["To"] = to
    msg["Subject"] = reply_subject(subject)
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.timezone.utc))
    msg["Message-ID"] = make_msgid(idstring="triage", domain=sender_domain)
    if message_id:
        msg["In-Reply-To"] = message_id
        thread = list(dict.fromkeys([*references, message_id]))
        msg["References"] = " ".join(thread)
    msg["X-Partnerbot-Topic"] = topic
    msg["X-Partnerbot-Needs-Human"] = "yes" if needs_human else "no"
    msg.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg["Content-Language"] = lang  # after set_content, which replaces every Content-* header
    return msg
