"""Fixtures for the action tests (tests/actions/): trackers, tokens and a temporary database.

Several flows share this file: each appends its fixtures under its own names.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from rasa_sdk import Tracker

TESTS = Path(__file__).resolve().parents[1]


# --- FAQ, language, conversation and personal notes -------------------------------------------

NOTES_JWT_SECRET = "notes-test-secret-0123456789abcdef0123456789"


def _program_rows_module():
    """tests/rules/conftest_program.py (its `add_rows` fills tables with sensible defaults)."""
    spec = importlib.util.spec_from_file_location("conftest_program_rows", TESTS / "rules" / "conftest_program.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def notes_db(tmp_path, monkeypatch):
    """A fresh SQLite database at the current schema that actions use (PARTNERBOT_DATABASE_URL)."""
    from rules.db.migrate import upgrade
    from rules.db.session import get_engine, make_engine

    url = f"sqlite:///{tmp_path / 'actions.db'}"
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", url)
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "false")
    get_engine.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    get_engine.cache_clear()


@pytest.fixture
def notes_given(notes_db):
    """`notes_given({table: [row, …]})` inserts rows (defaults as in the program tests); returns the engine."""
    rows_module = _program_rows_module()

    def _given(rows: dict):
        rows_module.add_rows(notes_db, rows)
        return notes_db

    return _given


@pytest.fixture
def notes_token(monkeypatch):
    """`notes_token(sub, role, ttl_seconds=3600)`: a JWT signed with PARTNERBOT_JWT_SECRET (set for the test)."""
    from bot.identity import issue_token

    monkeypatch.setenv("PARTNERBOT_JWT_SECRET", NOTES_JWT_SECRET)
    monkeypatch.delenv("PARTNERBOT_JWT_SECRET_FILE", raising=False)

    def _token(subject: str, role: str = "partner", ttl_seconds: int = 3600) -> str:
        return issue_token(subject, role, ttl_seconds=ttl_seconds, key=NOTES_JWT_SECRET)

    return _token


def make_turn_tracker(
    text: str = "",
    intent: str | None = None,
    confidence: float = 0.95,
    entities=(),
    slots: dict | None = None,
    token: str | None = None,
    faq: str | None = None,
    faq_ranking=(),
    intent_ranking=None,
    history=(),
    sender_id: str = "test-user",
) -> Tracker:
    """A tracker whose latest message is `text` parsed as `intent` (and `faq/<faq>`), after `history`.

    entities: (name, value) pairs; faq_ranking: faq ids with confidences [(id, conf), …];
    history: earlier events (dicts) before this turn's user event.
    """
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence} if intent else {},
        "entities": [{"entity": name, "value": value} for name, value in entities],
        "intent_ranking": intent_ranking if intent_ranking is not None else ([{"name": intent, "confidence": confidence}] if intent else []),
        "metadata": {"token": token} if token else {},
    }
    if faq or faq_ranking:
        ranking = [{"intent_response_key": f"faq/{key}", "confidence": conf} for key, conf in faq_ranking]
        parse["response_selector"] = {
            "faq": {
                "response": {"intent_response_key": f"faq/{faq}" if faq else None, "confidence": ranking[0]["confidence"] if ranking else 0.9},
                "ranking": ranking,
            }
        }
    user_event = {"event": "user", "text": text, "parse_data": parse, "metadata": parse["metadata"]}
    return Tracker(
        sender_id,
        {"language": "en", **(slots or {})},
        parse,
        [*history, user_event],
        False,
        None,
        {},
        "action_listen",
    )


@pytest.fixture
def turn_tracker():
    """`turn_tracker(text, intent=…, faq=…, entities=[(name, value)], slots={…}, token=…)` (see make_turn_tracker)."""
    return make_turn_tracker


# --- Commission estimates (tests/actions/test_commission.py) ----------------------------------

COMMISSION_JWT_SECRET = "commission-test-secret-0123456789abcdef01234"
COMMISSION_PARTNERS = [
    {"partner_id": "P-3001", "name": "Fornecedora Teste", "package": "provider"},
    {"partner_id": "P-3002", "name": "Agência Parceira Teste", "package": "partner"},
]


@pytest.fixture
def commission_db(tmp_path, monkeypatch):
    """A fresh SQLite database for the actions (PARTNERBOT_DATABASE_URL) with COMMISSION_PARTNERS."""
    import datetime as dt

    from sqlalchemy import insert

    from rules.db.migrate import upgrade
    from rules.db.models import partners
    from rules.db.session import get_engine, make_engine

    url = f"sqlite:///{tmp_path / 'commission.db'}"
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", url)
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "false")
    get_engine.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        for row in COMMISSION_PARTNERS:
            conn.execute(insert(partners).values(**row, joined_on=dt.date(2020, 1, 1)))
    yield engine
    engine.dispose()
    get_engine.cache_clear()


@pytest.fixture
def commission_token(monkeypatch):
    """`commission_token(sub, role="partner")`: a JWT signed with PARTNERBOT_JWT_SECRET (set for the test)."""
    from bot.identity import issue_token

    monkeypatch.setenv("PARTNERBOT_JWT_SECRET", COMMISSION_JWT_SECRET)
    monkeypatch.delenv("PARTNERBOT_JWT_SECRET_FILE", raising=False)

    def _token(subject: str, role: str = "partner") -> str:
        return issue_token(subject, role, key=COMMISSION_JWT_SECRET)

    return _token


@pytest.fixture(scope="session")
def entities_of():
    """`entities_of(text, lang)`: the entities the NLU's spaCy patterns find (bot/nlu/patterns.py)."""
    from bot.nlu import spacy_pipelines
    from bot.nlu.patterns import EntityPatterns

    patterns = EntityPatterns(spacy_pipelines.load_all(TESTS.parent / "var" / "spacy"))
    return patterns.extract


# --- leads (actions/leads.py): a lead database, tokens, form trackers -------------------------

LEADS_JWT_SECRET = "leads-test-secret-0123456789abcdef0123456789"


def _lead_data_module():
    """tests/rules/lead_data.py (add_partner, add_account, add_registration straight into a database)."""
    spec = importlib.util.spec_from_file_location("lead_data_for_actions", TESTS / "rules" / "lead_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def lead_data():
    return _lead_data_module()


@pytest.fixture
def leads_db(tmp_path, monkeypatch, lead_data):
    """A fresh SQLite database at the current schema that the lead actions use (PARTNERBOT_DATABASE_URL)."""
    from rules.db.session import get_engine

    url = f"sqlite:///{tmp_path / 'leads.db'}"
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", url)
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "false")
    get_engine.cache_clear()
    engine = lead_data.make_database(url)
    yield engine
    engine.dispose()
    get_engine.cache_clear()


@pytest.fixture
def lead_token(monkeypatch):
    """`lead_token(sub, role="partner", key=None)`: a JWT signed with PARTNERBOT_JWT_SECRET (or with `key`, to forge one)."""
    from bot.identity import issue_token

    monkeypatch.setenv("PARTNERBOT_JWT_SECRET", LEADS_JWT_SECRET)
    monkeypatch.delenv("PARTNERBOT_JWT_SECRET_FILE", raising=False)

    def _token(subject: str, role: str = "partner", key: str | None = None, ttl_seconds: int = 3600) -> str:
        return issue_token(subject, role, ttl_seconds=ttl_seconds, key=key or LEADS_JWT_SECRET)

    return _token


def make_lead_tracker(
    text: str = "",
    intent: str | None = None,
    entities=(),
    token: str | None = None,
    lang: str = "en",
    slots: dict | None = None,
    active_loop: str | None = None,
    candidates: dict | None = None,
    sender_id: str = "lead-test",
) -> Tracker:
    """A tracker whose latest message is `text` (`intent`, `entities` as (name, value) pairs, `token` in its metadata).

    slots: the conversation's slots (language is `lang`); active_loop: the active form;
    candidates: slots extracted from this message, appended as the SlotSet events a form validates.
    """
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95} if intent else {},
        "entities": [{"entity": name, "value": value} for name, value in entities],
        "metadata": {"token": token} if token else {},
    }
    events = [{"event": "user", "text": text, "parse_data": parse, "metadata": parse["metadata"]}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in (candidates or {}).items()]
    all_slots = {"language": lang, **(slots or {}), **(candidates or {})}
    return Tracker(
        sender_id,
        all_slots,
        parse,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


@pytest.fixture
def lead_tracker():
    """`lead_tracker(text, intent=…, entities=[(name, value)], token=…, lang=…, slots={…}, active_loop=…, candidates={…})`."""
    return make_lead_tracker
