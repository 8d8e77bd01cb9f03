"""What every action needs from a conversation: its language, who is talking, the latest entities."""
from __future__ import annotations

from rasa_sdk import Tracker

from bot.identity import Identity, identity_from_metadata

LANGUAGES = ("pt", "en")


def language_of(tracker: Tracker) -> str:
    lang = tracker.get_slot("language")
    return lang if lang in LANGUAGES else "en"


def identity_of(tracker: Tracker) -> Identity | None:
    """The identity the latest message's token proves (verified again here, not trusted from the channel)."""
    return identity_from_metadata((tracker.latest_message or {}).get("metadata"))


def entity_values(tracker: Tracker, name: str) -> list:
    return [e.get("value") for e in (tracker.latest_message or {}).get("entities", []) if e.get("entity") == name and e.get("value")]


def first_entity(tracker: Tracker, name: str):
    values = entity_values(tracker, name)
    return values[0] if values else None


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")
