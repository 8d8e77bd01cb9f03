"""The language slots (actions/language.py): the message's language unless the person asked for one."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import ValidateSlotMappings, conversation_language
from bot.build import merged_domain


@pytest.fixture(scope="module")
def domain():
    return merged_domain()


def language_events(tracker, domain) -> list:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateSlotMappings().run(dispatcher, tracker, domain))
    assert dispatcher.messages == []
    return [e for e in events if e["name"] in ("language", "language_preference")]


@pytest.mark.parametrize("detected", ["pt", "en"])
def test_the_detected_language_becomes_the_conversations(turn_tracker, domain, detected):
    other = "en" if detected == "pt" else "pt"
    tracker = turn_tracker("text", intent="greet", entities=[("language", detected)], slots={"language": other})
    assert conversation_language(tracker) == detected
    assert language_events(tracker, domain) == [SlotSet("language", detected)]


@pytest.mark.parametrize("current", ["pt", "en"])
def test_unsure_detection_keeps_the_current_language(turn_tracker, domain, current):
    tracker = turn_tracker("P-1001", intent="inform", entities=[("partner_id", "P-1001")], slots={"language": current})
    assert language_events(tracker, domain) == [SlotSet("language", current)]


def test_unsure_detection_at_the_start_is_english(turn_tracker):
    tracker = turn_tracker("ok", intent="affirm", slots={"language": None})
    assert conversation_language(tracker) == "en"


@pytest.mark.parametrize("intent, lang", [("request_english", "en"), ("request_portuguese", "pt")])
def test_asking_for_a_language_switches_and_remembers_it(turn_tracker, domain, intent, lang):
    # Asked in the other language ("em inglês, por favor" is Portuguese): the request wins.
    other = "en" if lang == "pt" else "pt"
    tracker = turn_tracker("please", intent=intent, entities=[("language", other)], slots={"language": other})
    assert language_events(tracker, domain) == [SlotSet("language", lang), SlotSet("language_preference", lang)]


@pytest.mark.parametrize("preference", ["pt", "en"])
def test_the_requested_language_sticks_over_later_detection(turn_tracker, domain, preference):
    other = "en" if preference == "pt" else "pt"
    tracker = turn_tracker("text", intent="faq", faq="program_global", entities=[("language", other)],
                           slots={"language": preference, "language_preference": preference})
    assert language_events(tracker, domain) == [SlotSet("language", preference)]


def test_a_later_request_replaces_the_earlier_one(turn_tracker, domain):
    tracker = turn_tracker("fala português", intent="request_portuguese", entities=[("language", "pt")],
                           slots={"language": "en", "language_preference": "en"})
    assert language_events(tracker, domain) == [SlotSet("language", "pt"), SlotSet("language_preference", "pt")]


def test_a_bad_slot_value_is_not_kept(turn_tracker):
    tracker = turn_tracker("???", intent="nlu_fallback", slots={"language": "fr", "language_preference": "de"})
    assert conversation_language(tracker) == "en"
