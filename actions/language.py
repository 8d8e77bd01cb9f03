"""The language slot: the message's language, unless the person asked for one ("in English, please")."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions.context import LANGUAGES, first_entity, latest_intent

REQUESTS = {"request_english": "en", "request_portuguese": "pt"}


def conversation_language(tracker: Tracker) -> str:
    requested = REQUESTS.get(latest_intent(tracker))
    if requested:
        return requested
    preference = tracker.get_slot("language_preference")
    if preference in LANGUAGES:
        return preference
    detected = first_entity(tracker, "language")
    if detected in LANGUAGES:
        return detected
    current = tracker.get_slot("language")
    return current if current in LANGUAGES else "en"


class ValidateSlotMappings(ValidationAction):
    """Fills the custom-mapped language slots after every user message."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        return {"language": conversation_language(tracker)}

    async def extract_language_preference(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict:
        requested = REQUESTS.get(latest_intent(tracker))
        return {"language_preference": requested} if requested else {}
