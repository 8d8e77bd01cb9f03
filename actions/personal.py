"""Personal notes after an FAQ answer: what the program rules say about the signed-in person's own figures.

Which FAQ answers get a note, from which rule of rules/program and for whom is data
(data/personal_notes.yml); the note's words are the rule's own (summary, reasons, next steps
in the person's language) framed by the responses of bot/domain/personal.yml.
"""
from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from pathlib import Path

import yaml
from rasa_sdk import Tracker

from actions.context import LANGUAGES, domain_responses, entity_values
from actions.context import database as context_database
from actions.context import response_text as context_response_text
from bot.identity import Identity

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
NOTES_FILE = ROOT / "data" / "personal_notes.yml"
RESPONSES_FILE = ROOT / "bot" / "domain" / "personal.yml"


@lru_cache(maxsize=1)
def notes_config() -> dict:
    """data/personal_notes.yml: `defaults` and `notes` ({faq id: how to answer it personally})."""
    with NOTES_FILE.open(encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    return {"defaults": config.get("defaults") or {}, "notes": config.get("notes") or {}}


def response_text(name: str, lang: str, **values) -> str:
    """The text of a bot/domain/personal.yml response in `lang`, placeholders filled."""
    return context_response_text(domain_responses(RESPONSES_FILE), name, lang, **values)


def rule_named(name: str):
    """A rule of rules/program by its name (the names data/personal_notes.yml uses)."""
    import rules.program

    if name not in rules.program.__all__:
        raise KeyError(f"unknown program rule {name!r}")
    return getattr(rules.program, name)


def today() -> dt.date:
    """The day the rules are asked about (a function, so tests can fix it)."""
    return dt.date.today()


_connection_engine = context_database  # the project's database, current schema (actions.context)


def note_for(faq_id: str) -> dict | None:
    """How the FAQ question `faq_id` is answered personally, or None when it is not."""
    return notes_config()["notes"].get(faq_id)


def partner_asked_about(tracker: Tracker, identity: Identity) -> str | None:
    """Whose figures: a partner's own, always; for staff, the partner id the message (or the slot) names."""
    if not identity.is_staff:
        return identity.partner_id
    named = entity_values(tracker, "partner_id")
    if named:
        return str(named[0])
    slot = tracker.get_slot("lead_partner_id")
    return str(slot) if slot else None


def rule_arguments(note: dict, tracker: Tracker) -> dict | None:
    """Keyword arguments for the rule: its fixed ones plus the entity it needs (None when missing)."""
    arguments = dict(note.get("arguments") or {})
    entity = note.get("entity")
    if entity:
        found = None
        for name in [entity, *(note.get("also_entities") or [])]:
            values = entity_values(tracker, name)
            if values:
                found = values[0]
                break
        if found is None:
            return None
        arguments[note.get("argument") or entity] = found
    return arguments


def verdict_note(verdict, lang: str, partner_id: str | None = None) -> str:
    """A rule's Verdict as compact Markdown: the summary, the reasons, then the next steps."""
    answer = verdict.as_dict(lang)
    lines = [f"- {reason['explanation']}" for reason in answer.get("reasons") or []]
    steps = answer.get("next_steps") or []
    if steps:
        lines.append(response_text("utter_personal_next_steps", lang))
        lines += [f"- {step}" for step in steps]
    details = "\n".join(lines)
    summary = answer.get("summary") or ""
    if partner_id:
        text = response_text("utter_personal_note_for_partner", lang, summary=summary, details=details, partner_id=partner_id)
    else:
        text = response_text("utter_personal_note", lang, summary=summary, details=details)
    return text.rstrip()


def _personal_note(faq_id: str, tracker: Tracker, identity: Identity | None, lang: str) -> str | None:
    from rules.errors import BadInput

    note = note_for(faq_id)
    if not note:
        return None
    defaults = notes_config()["defaults"]
    if identity is None:
        anonymous = note.get("anonymous", defaults.get("anonymous"))
        return response_text(anonymous, lang) if anonymous else None
    if identity.role not in note.get("identities", defaults.get("identities") or []):
        return None
    partner_id = partner_asked_about(tracker, identity)
    if not partner_id:
        hint = defaults.get("staff_without_partner")
        return response_text(hint, lang) if hint else None
    arguments = rule_arguments(note, tracker)
    if arguments is None:
        missing = note.get("without_entity")
        return response_text(missing, lang) if missing else None
    rule = rule_named(note["rule"])
    try:
        with _connection_engine().connect() as conn:
            verdict = rule(conn, partner_id, today(), **arguments)
    except BadInput as exc:
        if exc.code == "unknown_partner" and not identity.is_staff:
            return None  # the partner's own record is not loaded yet: the FAQ answer stands alone
        return exc.message(lang)
    return verdict_note(verdict, lang, partner_id=partner_id if identity.is_staff else None)


def personal_note(faq_id: str, tracker: Tracker, identity: Identity | None, lang: str) -> str | None:
    """The note that follows the FAQ answer `faq_id` for this person, in `lang`; None for none.

    Never raises: a note is an extra, and the FAQ answer has already been given.
    """
    try:
        return _personal_note(faq_id, tracker, identity, lang if lang in LANGUAGES else "en")
    except Exception:  # noqa: BLE001 — any failure means no note, never a failed FAQ answer
        logger.exception("no personal note for %s", faq_id)
        return None
