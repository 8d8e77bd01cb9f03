"""Every corpus entry through the REST channel of the running Rasa server (contract §4).

For each: HTTP status below 500 (400 only for a malformed request, with a clear `error`), a
non-empty reply with no exception text, nothing of another partner's revealed, no registration
or lead claim written, in the language of the message when it tells one.
"""
from __future__ import annotations

import pytest

from hostile_corpus import TRACEBACK, effective_identity, entries, entry_id, make_token, problems, short
from hostile_http import written_rows, new_sender, raw_post, rest_send, setup_conversation

CHAT = [e for e in entries() if e.is_chat and "rest" in e.on]
MALFORMED = [e for e in entries() if e.http is not None and "rest" in e.on]


@pytest.mark.parametrize("entry", CHAT, ids=entry_id)
def test_rest_channel_answers_hostile_input_clearly(hostile_stack, http, entry):
    sender = new_sender("rest", entry)
    send = lambda s, m, t=None: rest_send(http, hostile_stack, s, m, t)  # noqa: E731
    setup_conversation(send, entry, sender)
    before = written_rows(hostile_stack.database_url)
    answer = send(sender, entry.message, make_token(entry.token))
    assert answer.status_code == 200, f"{entry.id}: HTTP {answer.status_code}: {short(answer.text)}"
    messages = answer.json()
    assert isinstance(messages, list) and messages, f"{entry.id}: no reply: {short(answer.text)}"
    assert all(m.get("recipient_id") == sender for m in messages)
    texts = [m.get("text") or "" for m in messages] + [b.get("title", "") for m in messages for b in m.get("buttons") or []]
    found = problems(entry, texts, effective_identity(entry.token), said=entry.message)
    assert not found, f"{entry.id}: {found}: {short(texts, 600)}"
    assert written_rows(hostile_stack.database_url) == before, f"{entry.id}: registrations or lead claims changed"


@pytest.mark.parametrize("entry", MALFORMED, ids=entry_id)
def test_rest_channel_answers_malformed_requests_clearly(hostile_stack, http, entry):
    before = written_rows(hostile_stack.database_url)
    answer = raw_post(http, f"{hostile_stack.rasa_url}/webhooks/rest/webhook", entry.http)
    assert answer.status_code == entry.http["status"], f"{entry.id}: HTTP {answer.status_code}: {short(answer.text)}"
    assert not TRACEBACK.search(answer.text), f"{entry.id}: {short(answer.text)}"
    body = answer.json()
    if answer.status_code >= 400:
        assert isinstance(body, dict) and body.get("error", "").strip(), f"{entry.id}: no clear error: {short(body)}"
    else:
        assert isinstance(body, list) and body and all((m.get("text") or "").strip() for m in body), short(body)
        found = problems(entry, [m.get("text") for m in body], None, said=entry.http["body"])
        assert not found, f"{entry.id}: {found}: {short(body)}"
    assert written_rows(hostile_stack.database_url) == before


@pytest.mark.parametrize("lang, question, expected", [
    ("pt", "Como funciona a vitória do melhor parceiro?", "best_partner_wins"),
    ("en", "How does Best Partner Wins work?", "best_partner_wins"),
])
def test_rest_channel_still_answers_a_normal_question_afterwards(hostile_stack, http, lang, question, expected):
    from bot.knowledge import faq_entries

    answer = rest_send(http, hostile_stack, f"hostile-rest-after-{lang}", question)
    assert answer.status_code == 200
    texts = [m.get("text") or "" for m in answer.json()]
    assert faq_entries()[expected].answer_in(lang).strip()[:40] in "\n".join(texts)


def test_a_partner_token_never_shows_another_partners_registration(hostile_stack, http):
    """P-1002 asks about P-1001's lead: unavailable, without P-1001's id or contact (the staff view has both)."""
    sender = "hostile-rest-owner-check"
    partner = rest_send(http, hostile_stack, sender, "is cafe-do-porto.com.br available?", make_token("partner:P-1002")).json()
    text = "\n".join(m.get("text") or "" for m in partner)
    assert text.startswith("⛔") and "P-1001" not in text and "joana.ribeiro" not in text, text
    staff = rest_send(http, hostile_stack, "hostile-rest-staff-check", "is cafe-do-porto.com.br available for P-1002?",
                      make_token("staff:alice")).json()
    assert "P-1001" in "\n".join(m.get("text") or "" for m in staff)  # the check above is not vacuous
