"""What every action needs from a conversation: its language, who is talking, the latest entities."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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


_current_databases: set = set()


def database():
    """The project's database (PARTNERBOT_DATABASE_URL), brought to the current schema once per process."""
    from rules.db.migrate import ensure_current
    from rules.db.session import get_engine

    engine = get_engine()
    key = str(engine.url)
    if key not in _current_databases:
        ensure_current(engine)
        _current_databases.add(key)
    return engine


@lru_cache(maxsize=None)
def domain_responses(path: Path) -> dict:
    """The `responses` of one file of bot/domain/, read once."""
    import yaml

    with Path(path).open(encoding="utf-8") as handle:
        return (yaml.safe_load(handle) or {}).get("responses") or {}


def response_text(responses: dict, name: str, lang: str, **values) -> str:
    """The text of a domain response in `lang`, placeholders filled as Rasa fills them (unknown ones left)."""
    import re

    for variation in responses[name]:
        languages = [c.get("value") for c in variation.get("condition") or [] if c.get("name") == "language"]
        if lang in languages:
            return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), variation["text"])
    raise KeyError(f"{name} has no {lang} variation")
