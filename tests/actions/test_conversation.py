"""Fallback that helps and handoff (actions/conversation.py): suggestions, the second fallback, the summary."""
from __future__ import annotations

import asyncio

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import (
    DESCRIPTIONS,
    ActionHandoff,
    ActionSuggestIntents,
    consecutive_fallbacks,
    conversation_summary,
    suggestions,
)
from bot.knowledge import faq_entry

LABELS = yaml.safe_load(DESCRIPTIONS.read_text(encoding="utf-8"))


def run(action, tracker) -> list:
    dispatcher = CollectingDispatcher()
    assert asyncio.run(action.run(dispatcher, tracker, {})) == []
    return dispatcher.messages


def user(text, intent="greet"):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": []}}


def bot(text="…"):
    return {"event": "bot", "text": text}


RANKING = [
    {"name": "nlu_fallback", "confidence": 0.45},
    {"name": "faq", "confidence": 0.30},
    {"name": "check_lead", "confidence": 0.20},
    {"name": "estimate_commission", "confidence": 0.10},
    {"name": "register_lead", "confidence": 0.08},
]
FAQ_RANKING = [("tiers_update_frequency", 0.6), ("tiers_calculation", 0.3), ("tiers_advantage", 0.1)]


def unsure(turn_tracker, lang="pt", ranking=RANKING, faq_ranking=FAQ_RANKING, history=(), **kwargs):
    return turn_tracker("categoria atualiza quando?", intent="nlu_fallback", confidence=0.45, intent_ranking=ranking,
                        faq_ranking=faq_ranking, slots={"language": lang}, history=history, **kwargs)


# --- suggestions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_suggestions_take_the_faq_ranking_then_other_intents_at_most_three(turn_tracker, lang):
    found = suggestions(unsure(turn_tracker, lang), lang)
    first, second = (faq_entry(key).question_in(lang) for key, _ in FAQ_RANKING[:2])
    assert found == [(first, first), (second, second), (LABELS["check_lead"][lang], "/check_lead")]


def test_intents_below_the_minimum_confidence_and_nlu_fallback_are_never_suggested(turn_tracker):
    ranking = [{"name": "nlu_fallback", "confidence": 0.9}, {"name": "estimate_commission", "confidence": 0.06},
               {"name": "check_lead", "confidence": 0.04}]
    assert suggestions(unsure(turn_tracker, "en", ranking=ranking, faq_ranking=()), "en") == [
        (LABELS["estimate_commission"]["en"], "/estimate_commission"),
    ]


def test_intents_without_a_description_are_not_suggested(turn_tracker):
    ranking = [{"name": "chitchat", "confidence": 0.4}, {"name": "_labels", "confidence": 0.3},
               {"name": "human_handoff", "confidence": 0.2}]
    assert suggestions(unsure(turn_tracker, "pt", ranking=ranking, faq_ranking=()), "pt") == [
        (LABELS["human_handoff"]["pt"], "/human_handoff"),
    ]


def test_an_unknown_faq_in_the_ranking_is_skipped(turn_tracker):
    ranking = [{"name": "faq", "confidence": 0.4}]
    found = suggestions(unsure(turn_tracker, "en", ranking=ranking, faq_ranking=[("gone", 0.7), ("app_list", 0.2)]), "en")
    assert found == [(faq_entry("app_list").question_in("en"),) * 2]


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_first_fallback_offers_did_you_mean_with_none_of_these(turn_tracker, lang):
    messages = run(ActionSuggestIntents(), unsure(turn_tracker, lang))
    assert len(messages) == 1
    message = messages[0]
    assert message["response"] == "utter_did_you_mean"
    questions = [faq_entry(key).question_in(lang) for key, _ in FAQ_RANKING[:2]]
    assert message["listing"] == f"1. {questions[0]}\n2. {questions[1]}\n3. {LABELS['check_lead'][lang]}"
    assert message["buttons"] == [
        {"title": questions[0], "payload": questions[0]},
        {"title": questions[1], "payload": questions[1]},
        {"title": LABELS["check_lead"][lang], "payload": "/check_lead"},
        {"title": LABELS["_labels"]["none_of_these"][lang], "payload": "/human_handoff"},
    ]


def test_first_fallback_with_nothing_to_suggest_asks_to_rephrase(turn_tracker):
    messages = run(ActionSuggestIntents(), unsure(turn_tracker, "en", ranking=[{"name": "nlu_fallback", "confidence": 1.0}], faq_ranking=()))
    assert [m["response"] for m in messages] == ["utter_default"]


# --- the second fallback in a row: handoff ------------------------------------------------------


def test_consecutive_fallbacks_count_user_turns_not_understood_in_a_row():
    from rasa_sdk import Tracker

    def tracker(events):
        return Tracker("u", {}, {}, events, False, None, {}, "action_listen")

    assert consecutive_fallbacks(tracker([user("oi"), bot(), user("???", "nlu_fallback")])) == 1
    assert consecutive_fallbacks(tracker([user("???", "nlu_fallback"), bot(), user("!!!", "nlu_fallback")])) == 2
    assert consecutive_fallbacks(tracker([user("???", "nlu_fallback"), bot(), user("oi"), bot(), user("!!!", "nlu_fallback")])) == 1
    assert consecutive_fallbacks(tracker([user("oi")])) == 0


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_second_fallback_in_a_row_hands_off_with_a_summary(turn_tracker, lang):
    history = [user("oi"), bot(), user("blá blá", "nlu_fallback"), bot()]
    messages = run(ActionSuggestIntents(), unsure(turn_tracker, lang, history=history))
    assert len(messages) == 1
    assert messages[0]["response"] == "utter_handoff"
    summary = messages[0]["summary"]
    assert f"- {LABELS['_labels']['who'][lang]}: {LABELS['_labels']['anonymous'][lang]}" in summary
    assert "  - blá blá" in summary and "  - categoria atualiza quando?" in summary


def test_a_fallback_after_an_understood_turn_is_a_first_fallback_again(turn_tracker):
    history = [user("???", "nlu_fallback"), bot(), user("oi"), bot()]
    messages = run(ActionSuggestIntents(), unsure(turn_tracker, "en", history=history))
    assert messages[0]["response"] == "utter_did_you_mean"


# --- the handoff summary -------------------------------------------------------------------------


def test_handoff_summary_names_the_signed_in_person_and_lists_what_was_asked(turn_tracker, notes_token):
    history = [user("oi"), bot(), user("/check_lead", "check_lead"), bot(), user("quero falar com alguém", "human_handoff"), bot()]
    tracker = turn_tracker("por que meu lead está indisponível?", intent="human_handoff", slots={"language": "pt"},
                           token=notes_token("P-1001"), history=history)
    assert conversation_summary(tracker, "pt") == (
        "- Quem: P-1001 (partner)\n"
        "- Perguntas:\n"
        "  - oi\n"
        "  - quero falar com alguém\n"
        "  - por que meu lead está indisponível?"
    )  # button payloads (/check_lead) are not questions


def test_handoff_summary_for_staff_in_english(turn_tracker, notes_token):
    tracker = turn_tracker("need a human", intent="human_handoff", slots={"language": "en"}, token=notes_token("ana", "staff"))
    assert conversation_summary(tracker, "en") == "- Who: ana (staff)\n- Asked:\n  - need a human"


def test_handoff_summary_keeps_the_last_six_questions_each_cut_to_200_characters(turn_tracker):
    history = []
    for n in range(1, 8):
        history += [user(f"pergunta {n}"), bot()]
    tracker = turn_tracker("x" * 300, intent="human_handoff", slots={"language": "pt"}, history=history)
    lines = conversation_summary(tracker, "pt").split("\n")
    asked = lines[2:]
    assert asked == [f"  - pergunta {n}" for n in range(3, 8)] + ["  - " + "x" * 200]
    assert lines[0] == "- Quem: visitante não identificado"


def test_a_forged_token_is_an_anonymous_visitor_in_the_summary(turn_tracker, notes_token):
    from bot.identity import issue_token

    notes_token("P-1001")
    forged = issue_token("P-1001", "partner", key="someone-else-0123456789abcdef0123456")
    tracker = turn_tracker("help", intent="human_handoff", slots={"language": "en"}, token=forged)
    assert conversation_summary(tracker, "en").startswith("- Who: anonymous visitor\n")


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_handoff_action_utters_the_handoff_with_the_summary(turn_tracker, lang):
    tracker = turn_tracker("humano", intent="human_handoff", slots={"language": lang})
    messages = run(ActionHandoff(), tracker)
    assert [m["response"] for m in messages] == ["utter_handoff"]
    assert messages[0]["summary"] == conversation_summary(tracker, lang)


def test_descriptions_exist_in_both_languages_for_every_suggestable_intent():
    for name, texts in LABELS.items():
        if name == "_labels":
            for label in texts.values():
                assert set(label) == {"pt", "en"}
        else:
            assert set(texts) == {"pt", "en"}, name
