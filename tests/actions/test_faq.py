"""The FAQ action (actions/faq.py): the answer from data/faq/ in the conversation's language."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions import personal
from actions.faq import ActionAnswerFaq, selected_faq_id

FAQ_DIR = Path(__file__).resolve().parents[2] / "data" / "faq"
FAQ_FILES = sorted(p for p in FAQ_DIR.glob("*.yml"))


def answers_in_file(path: Path) -> dict:
    """The answers as the knowledge file writes them (read here, not through bot.knowledge)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {lang: text.strip() for lang, text in data["answer"].items()}


def run_faq(tracker) -> list:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerFaq().run(dispatcher, tracker, {}))
    assert events == []
    return dispatcher.messages


def test_there_are_49_faq_entries():
    assert len(FAQ_FILES) == 49


@pytest.mark.parametrize("lang", ["pt", "en"])
@pytest.mark.parametrize("path", FAQ_FILES, ids=[p.stem for p in FAQ_FILES])
def test_each_faq_is_answered_in_the_conversations_language(turn_tracker, path, lang):
    faq_id = path.stem
    tracker = turn_tracker("a question", intent="faq", faq=faq_id, slots={"language": lang})
    messages = run_faq(tracker)
    assert messages[0]["text"] == answers_in_file(path)[lang]
    assert messages[0]["response"] is None
    # Anonymous: only the questions with a personal note add a second line (sign in to see your figures).
    assert len(messages) == (2 if faq_id in personal.notes_config()["notes"] else 1)


def test_portuguese_and_english_answers_differ(turn_tracker):
    pt = run_faq(turn_tracker(intent="faq", faq="partner_cost", slots={"language": "pt"}))[0]["text"]
    en = run_faq(turn_tracker(intent="faq", faq="partner_cost", slots={"language": "en"}))[0]["text"]
    assert pt != en
    assert "custa" in pt or "custo" in pt or "grátis" in pt or "gratuito" in pt
    assert "cost" in en or "free" in en


def test_an_unset_or_unknown_language_answers_in_english(turn_tracker):
    path = FAQ_DIR / "program_global.yml"
    for value in (None, "fr"):
        messages = run_faq(turn_tracker(intent="faq", faq="program_global", slots={"language": value}))
        assert messages[0]["text"] == answers_in_file(path)["en"]


@pytest.mark.parametrize("key", ["faq/no_such_question", "faq/", "chitchat/ask_name", ""])
def test_an_unknown_faq_id_gets_the_default_response(turn_tracker, key):
    tracker = turn_tracker("?", intent="faq", slots={"language": "pt"})
    tracker.latest_message["response_selector"] = {"faq": {"response": {"intent_response_key": key}, "ranking": []}}
    messages = run_faq(tracker)
    assert [m["response"] for m in messages] == ["utter_default"]
    assert messages[0]["text"] is None


def test_no_response_selector_output_gets_the_default_response(turn_tracker):
    messages = run_faq(turn_tracker("?", intent="faq"))
    assert [m["response"] for m in messages] == ["utter_default"]


def test_selected_faq_id_reads_the_response_selector(turn_tracker):
    assert selected_faq_id(turn_tracker(intent="faq", faq="app_list")) == "app_list"
    assert selected_faq_id(turn_tracker(intent="greet")) is None


def test_a_personal_note_failure_never_breaks_the_answer(turn_tracker, monkeypatch, notes_token):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(personal, "_personal_note", broken)
    tracker = turn_tracker(intent="faq", faq="waive_onboarding", slots={"language": "en"}, token=notes_token("P-1001"))
    messages = run_faq(tracker)
    assert [m["text"] for m in messages] == [answers_in_file(FAQ_DIR / "waive_onboarding.yml")["en"]]
