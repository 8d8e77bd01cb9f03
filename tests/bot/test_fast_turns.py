"""bot/channels/fast_turns.py: what it changes in the Rasa server gives the same results as Rasa does."""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import jsonschema
import pytest
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.language import ValidateSlotMappings
from bot.build import merged_domain
from bot.channels import fast_turns

fast_turns.install()


@pytest.fixture(scope="module")
def domain_dict():
    return merged_domain()


@pytest.fixture(scope="module")
def domain(domain_dict):
    return Domain.from_dict(domain_dict)


# --- the action server's answers are validated as before ---------------------------------------------


VALID = [
    {"events": [{"event": "slot", "name": "language", "value": "pt"}], "responses": [{"text": "Olá"}]},
    {"events": [], "responses": []},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"name": "language"}]},  # no event type
    {"events": [{"event": "slot", "value": "pt"}]},  # a slot event without a name
    {"responses": ["text"]},
]


@pytest.mark.parametrize("result", VALID)
def test_a_valid_answer_passes(result):
    jsonschema.validate(result, RemoteAction.action_response_format_spec())  # as Rasa checks it
    assert RemoteAction("action_x", None)._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_answer_fails_with_rasas_error(result):
    with pytest.raises(jsonschema.ValidationError) as expected:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as raised:
        RemoteAction("action_x", None)._validate_action_result(result)
    assert raised.value.message.startswith(expected.value.message + ". Failed to validate Action server response")


# --- the language slots are computed in the Rasa server as the action server computes them ---------


CASES = [
    # (intent, language entity, slots before, what the message says)
    ("greet", "pt", {"language": "en"}, "a Portuguese message"),
    ("greet", "en", {"language": "pt"}, "an English message"),
    ("inform", None, {"language": "pt"}, "a message whose language can't be told keeps pt"),
    ("inform", None, {"language": "en"}, "a message whose language can't be told keeps en"),
    ("affirm", None, {"language": None}, "unknown from the start: English"),
    ("request_english", "pt", {"language": "pt"}, "'em inglês, por favor'"),
    ("request_portuguese", "en", {"language": "en"}, "'in Portuguese, please'"),
    ("faq", "pt", {"language": "en", "language_preference": "en"}, "the preference sticks over pt"),
    ("faq", "en", {"language": "pt", "language_preference": "pt"}, "the preference sticks over en"),
    ("request_portuguese", "pt", {"language": "en", "language_preference": "en"}, "a later request replaces it"),
    ("nlu_fallback", None, {"language": "fr", "language_preference": "de"}, "bad values are not kept"),
]


def rasa_tracker(domain, intent, language, slots, extra_entities=(), active_loop=None):
    entities = [{"entity": name, "value": value} for name, value in extra_entities]
    if language:
        entities.append({"entity": "language", "value": language, "start": 0, "end": 0})
    events = [SlotSet(name, value) for name, value in slots.items()]
    if active_loop:
        events += [ActiveLoop(active_loop), SlotSet("requested_slot", "lead_domain")]
    events.append(UserUttered("text", intent={"name": intent, "confidence": 0.9}, entities=entities))
    return DialogueStateTracker.from_events("fast-turns", events, slots=domain.slots)


def sdk_tracker(intent, language, slots):
    parse = {"text": "text", "intent": {"name": intent, "confidence": 0.9},
             "entities": [{"entity": "language", "value": language}] if language else []}
    return Tracker("fast-turns", {"language": "en", **slots}, parse,
                   [{"event": "user", "text": "text", "parse_data": parse}], False, None, {}, "action_listen")


def extract_slots_in_rasa(domain, tracker) -> list:
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    return asyncio.run(ActionExtractSlots(None).run(CollectingOutputChannel(), nlg, tracker, domain))


@pytest.fixture
def no_action_server(monkeypatch):
    async def refuse(self, *args, **kwargs):
        raise AssertionError(f"the action server was called for {self.name()}")

    monkeypatch.setattr(RemoteAction, "run", refuse)


@pytest.mark.parametrize("intent, language, slots, what", CASES, ids=[c[3] for c in CASES])
def test_the_language_slots_are_those_the_action_server_sets(domain, domain_dict, no_action_server,
                                                              intent, language, slots, what):
    events = extract_slots_in_rasa(domain, rasa_tracker(domain, intent, language, slots))
    in_rasa = {e.key: e.value for e in events if isinstance(e, SlotSet)}
    sdk_events = asyncio.run(ValidateSlotMappings().run(CollectingDispatcher(), sdk_tracker(intent, language, slots), domain_dict))
    by_action_server = {e["name"]: e["value"] for e in sdk_events}
    assert in_rasa == by_action_server
    assert in_rasa["language"] in ("pt", "en")


def test_other_extracted_slots_pass_unchanged(domain, no_action_server):
    tracker = rasa_tracker(domain, "inform", None, {"language": "pt"}, extra_entities=[("domain", "acme.com")],
                           active_loop="lead_check_form")
    events = extract_slots_in_rasa(domain, tracker)
    assert {e.key: e.value for e in events if isinstance(e, SlotSet)} == {"language": "pt", "lead_domain": "acme.com"}


def test_without_the_validation_action_in_the_domain_rasa_decides(domain_dict, no_action_server):
    plain = dict(domain_dict, actions=[a for a in domain_dict["actions"]
                                       if a != {"action_validate_slot_mappings": {"send_domain": True}}])
    domain = Domain.from_dict(plain)
    events = extract_slots_in_rasa(domain, rasa_tracker(domain, "greet", "pt", {"language": "en"}))
    assert [e for e in events if isinstance(e, SlotSet) and e.key == "language"] == []


# --- an SQLite tracker store commits in WAL mode -----------------------------------------------------


def test_an_sqlite_tracker_store_uses_wal(tmp_path, domain):
    from rasa.core.tracker_store import SQLTrackerStore

    path = tmp_path / "tracker.db"
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(path))
    tracker = rasa_tracker(domain, "greet", "pt", {"language": "en"})
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.retrieve("fast-turns")).get_slot("language") == "en"
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    store.engine.dispose()


# --- events are read into the same classes ------------------------------------------------------------


def test_every_event_type_resolves_to_rasas_class():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    classes = all_subclasses(Event)
    for cls in classes:
        expected = next(c for c in classes if c.type_name == cls.type_name)  # Rasa's rule: the first one
        assert Event.resolve_by_type(cls.type_name) is expected
        assert Event.resolve_by_type(cls.type_name) is expected  # remembered
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no such event")
    assert Event.from_parameters({"event": "slot", "name": "language", "value": "pt"}) == SlotSet("language", "pt")


# --- the action server gets the domain where it is read --------------------------------------------


def test_the_actions_that_read_the_domain_are_sent_it(domain):
    """endpoints.yml sends the domain only to actions marked send_domain: every validation action
    (rasa_sdk reads the slots and forms from it) is marked; the other actions never read it."""
    import importlib
    import inspect

    from rasa_sdk.forms import ValidationAction
    from rasa_sdk.interfaces import Action

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    root = Path(__file__).resolve().parents[2]
    for module in sorted((root / "actions").glob("*.py")):
        importlib.import_module(f"actions.{module.stem}")  # every action class
    ours = [c for c in subclasses(Action) if c.__module__.startswith("actions.") and not inspect.isabstract(c)]
    validators = {c().name() for c in ours if issubclass(c, ValidationAction)}
    assert validators >= {"action_validate_slot_mappings", "validate_lead_check_form"}
    assert {a for a in domain.user_actions if domain.does_custom_action_explicitly_need_domain(a)} == validators
    for path in ("endpoints.yml", "endpoints-scaled.yml"):
        text = (root / path).read_text(encoding="utf-8")
        assert "enable_selective_domain: true" in text
