"""The bugs the hostile corpus found, each pinned by a small test that needs no server."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from hostile_corpus import JWT_SECRET, make_token


@pytest.fixture
def secret(monkeypatch):
    monkeypatch.setenv("PARTNERBOT_JWT_SECRET", JWT_SECRET)


def user(token=None) -> dict:
    return {"event": "user", "text": "x", "metadata": {"token": token} if token else {}}


def test_a_conversation_someone_signed_in_to_is_nobody_elses(secret):
    """Another partner, staff or nobody signed in on a partner's sender id starts a new session (bot/channels/rest.py)."""
    from bot.channels.rest import belongs_to_someone_else
    from bot.identity import Identity

    p1001, p1002 = Identity("P-1001", "partner"), Identity("P-1002", "partner")
    signed = [user(), user(make_token("partner:P-1001"))]
    assert belongs_to_someone_else(signed, p1002)
    assert belongs_to_someone_else(signed, Identity("P-1001", "staff"))
    assert belongs_to_someone_else(signed, None)  # signed out, or the token expired
    assert not belongs_to_someone_else(signed, p1001)  # a fresh token of the same partner continues
    assert not belongs_to_someone_else([user(), user()], p1001)  # signing in continues an anonymous conversation
    assert not belongs_to_someone_else([*signed, {"event": "session_started"}, user()], p1002)
    expired = [user(make_token("expired:partner:P-1001"))]  # stored when it was valid: still who wrote it
    assert belongs_to_someone_else(expired, p1002) and not belongs_to_someone_else(expired, p1001)


def test_the_handoff_summary_lists_this_sessions_messages_only():
    from actions.conversation import session_events

    tracker = SimpleNamespace(events=[user(), {"event": "session_started"}, {"event": "user", "text": "mine"}])
    assert session_events(tracker) == tracker.events[1:]


def test_lone_surrogates_are_cleaned_from_chat_text():
    """JSON's "\\ud800" used to crash the tokenizer (a traceback, and "unavailable" for the person)."""
    from bot.channels.rest import clean_text

    assert clean_text("How do I register a lead? \ud800") == "How do I register a lead?"
    assert clean_text("\udfff\ud83d qual é a comissão?") == "qual é a comissão?"
    assert clean_text("emoji 😀 stays") == "emoji 😀 stays"


@pytest.mark.parametrize("text, lang", [
    ("o lead " + ".".join(["ab"] * 1000) + ".com.br está disponível?", "pt"),
    ("is " + ".".join(["a"] * 1000) + ".com available to register for me?", "en"),
    ("a" * 100_000, None),
])
def test_a_too_long_message_is_answered_in_its_own_language_or_in_both(text, lang):
    from bot.channels.rest import channel_message, in_languages, long_text_language

    said = in_languages("too_long", long_text_language(text), limit=2000)
    if lang:
        assert said == channel_message("too_long", lang, limit=2000)
    else:
        assert channel_message("too_long", "en", limit=2000) in said and channel_message("too_long", "pt", limit=2000) in said


@pytest.mark.parametrize("typed, contact", [
    ("x'); DELETE FROM registrations; --@sqlinj.com.br", "--@sqlinj.com.br"),  # what the extractor kept
    ("{summary}@braces.com.br", "summary}@braces.com.br"),
    ("a{b@acme.com", "b@acme.com"),  # a piece of what was typed
    (".x@acme.com", ".x@acme.com"),
    ("a..b@acme.com", "a..b@acme.com"),
])
def test_a_registration_contact_is_an_address_the_person_typed_whole(typed, contact):
    from actions.leads import checked_contact
    from rules.errors import BadInput

    with pytest.raises(BadInput):
        checked_contact(contact, SimpleNamespace(latest_message={"text": typed}))


@pytest.mark.parametrize("typed, contact", [
    ("o contato é joana.ribeiro@cafe-do-porto.com.br.", "joana.ribeiro@cafe-do-porto.com.br"),
    ("ana+leads@acme.com", "ana+leads@acme.com"),
    ("<o'brien@acme.ie>", "o'brien@acme.ie"),
    ("yes", "joão@acme.com.br"),  # named in an earlier message
])
def test_ordinary_contacts_still_pass(typed, contact):
    from actions.leads import checked_contact

    assert checked_contact(contact, SimpleNamespace(latest_message={"text": typed})) == contact


@pytest.mark.parametrize("text", ["a" * 100_000, "x@" * 50_000, "a." * 50_000, "ab-" * 33_000 + ".com"])
def test_finding_domains_in_a_huge_word_takes_linear_time(text):
    """An email of one 100 KB word used to take minutes (the address pattern rescanned from every character)."""
    from bot.triage.mentions import message_domains

    started = time.perf_counter()
    message_domains([text], None)
    assert time.perf_counter() - started < 2


def test_addresses_and_hosts_are_still_found():
    from bot.triage.mentions import domains_in

    assert domains_in("mail joana.ribeiro@cafe-do-porto.com.br or see http://www.acme.com/x, o'brien@x.io") == [
        "cafe-do-porto.com.br", "acme.com", "x.io"]
