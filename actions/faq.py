"""Answering an FAQ question from the knowledge files, in the conversation's language,
followed by what the rules engine says about the person's own data when they are signed in."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import identity_of, language_of
from bot.knowledge import faq_entry


def selected_faq_id(tracker: Tracker) -> str | None:
    selector = (tracker.latest_message or {}).get("response_selector", {}).get("faq", {})
    key = (selector.get("response") or {}).get("intent_response_key") or ""
    return key.split("/", 1)[1] if key.startswith("faq/") else None


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        lang = language_of(tracker)
        entry = faq_entry(selected_faq_id(tracker) or "")
        if entry is None:
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(text=entry.answer_in(lang))
        try:
            from actions.personal import personal_note
        except ModuleNotFoundError:
            return []
        note = personal_note(entry.id, tracker, identity_of(tracker), lang)
        if note:
            dispatcher.utter_message(text=note)
        return []
