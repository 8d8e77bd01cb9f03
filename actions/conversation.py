"""Fallback that helps ("did you mean…?" with up to three suggestions) and handoff to the partner team."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import identity_of, language_of
from bot.knowledge import faq_entry

DESCRIPTIONS = Path(__file__).resolve().parents[1] / "data" / "intent_descriptions.yml"
MAX_SUGGESTIONS = 3
MIN_SUGGESTION_CONFIDENCE = 0.05
SUMMARY_MESSAGES = 6


@lru_cache(maxsize=1)
def _descriptions() -> dict:
    with DESCRIPTIONS.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def label(name: str, lang: str) -> str:
    return _descriptions()["_labels"][name][lang]


def suggestions(tracker: Tracker, lang: str) -> list:
    """Up to three likely intents as (title, payload), in the person's language."""
    message = tracker.latest_message or {}
    found = []
    faq_ranking = (message.get("response_selector", {}).get("faq", {}) or {}).get("ranking") or []
    for intent in message.get("intent_ranking", []):
        name, confidence = intent.get("name"), intent.get("confidence", 0)
        if name in (None, "nlu_fallback") or confidence < MIN_SUGGESTION_CONFIDENCE:
            continue
        if name == "faq":
            for candidate in faq_ranking[:2]:
                key = (candidate.get("intent_response_key") or "").split("/", 1)[-1]
                entry = faq_entry(key)
                if entry:
                    question = entry.question_in(lang)
                    found.append((question, question))
        elif name in _descriptions() and not name.startswith("_"):
            found.append((_descriptions()[name][lang], f"/{name}"))
        if len(found) >= MAX_SUGGESTIONS:
            break
    unique = []
    for title, payload in found:
        if payload not in [p for _, p in unique]:
            unique.append((title, payload))
    return unique[:MAX_SUGGESTIONS]


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many user messages in a row (this one included) the assistant did not understand."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if ((event.get("parse_data") or {}).get("intent") or {}).get("name") == "nlu_fallback":
                count += 1
            else:
                break
    return count


def session_events(tracker: Tracker) -> list:
    """The events of the current session only: an earlier session may be someone else's (bot.channels.rest)."""
    events = list(tracker.events)
    starts = [i for i, e in enumerate(events) if e.get("event") == "session_started"]
    return events[starts[-1]:] if starts else events


def conversation_summary(tracker: Tracker, lang: str) -> str:
    identity = identity_of(tracker)
    who = f"{identity.subject} ({identity.role})" if identity else label('anonymous', lang)
    asked = [e.get("text") for e in session_events(tracker) if e.get("event") == "user" and e.get("text") and not str(e.get("text")).startswith("/")]
    lines = [f"- {label('who', lang)}: {who}", f"- {label('asked', lang)}:"]
    lines += [f"  - {text[:200]}" for text in asked[-SUMMARY_MESSAGES:]]
    return "\n".join(lines)


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        lang = language_of(tracker)
        summary = conversation_summary(tracker, lang)
        dispatcher.utter_message(response="utter_handoff", summary=summary)
        return []


class ActionSuggestIntents(Action):
    """First failure: 'did you mean' with up to three suggestions; second in a row: handoff."""

    def name(self) -> str:
        return "action_suggest_intents"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict):
        lang = language_of(tracker)
        if consecutive_fallbacks(tracker) >= 2:
            return await ActionHandoff().run(dispatcher, tracker, domain)
        options = suggestions(tracker, lang)
        if not options:
            dispatcher.utter_message(response="utter_default")
            return []
        buttons = [{"title": title, "payload": payload} for title, payload in options]
        buttons.append({"title": label("none_of_these", lang), "payload": "/human_handoff"})
        listing = "\n".join(f"{i}. {title}" for i, (title, _) in enumerate(options, 1))
        dispatcher.utter_message(response="utter_did_you_mean", listing=listing, buttons=buttons)
        return []
