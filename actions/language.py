"""The language slot: the message's language, unless the person asked for one ("in English, please").

`language_slots` is the whole rule, on plain values: the action server runs it as
`action_validate_slot_mappings`, and the Rasa server runs the same function in-process
(bot/channels/fast_turns.py) instead of calling the action server after every message.
"""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions.context import LANGUAGES, latest_intent

REQUESTS = {"request_english": "en", "request_portuguese": "pt"}


def reply_language(intent, entities, preference, current) -> str:
    """The language to answer in: asked for now, else asked for before, else the message's, else the conversation's."""
    requested = REQUESTS.get(intent)
    if requested:
        return requested
    if preference in LANGUAGES:
        return preference
    detected = next((e.get("value") for e in entities or [] if e.get("entity") == "language" and e.get("value")), None)
    if detected in LANGUAGES:
        return detected
    return current if current in LANGUAGES else "en"


def language_slots(intent, entities, preference, current) -> dict:
    """The language slots after a message: `language` always, `language_preference` when the person asks for one."""
    slots = {"language": reply_language(intent, entities, preference, current)}
    requested = REQUESTS.get(intent)
    if requested:
        slots["language_preference"] = requested
    return slots


def conversation_language(tracker: Tracker) -> str:
    latest = tracker.latest_message or {}
    return reply_language(latest_intent(tracker), latest.get("entities"), tracker.get_slot("language_preference"),
                          tracker.get_slot("language"))


class ValidateSlotMappings(ValidationAction):
    """Fills the custom-mapped language slots after every user message."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        return {"language": conversation_language(tracker)}

    async def extract_language_preference(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        requested = REQUESTS.get(latest_intent(tracker))
        return {"language_preference": requested} if requested else {}
