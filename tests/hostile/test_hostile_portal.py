"""Every corpus entry through the portal's /api/chat proxy (bot/portal) in front of the running Rasa server.

The portal refuses, with a clear 4xx JSON answer (`error` and `message`), only what it must:
a message over its 4,000-character limit (400) or a request body over 16 KB (413). Every
other entry gets the bot's messages, judged as for the REST channel.
"""
from __future__ import annotations

import pytest

from hostile_corpus import TRACEBACK, effective_identity, entries, entry_id, make_token, problems, short
from hostile_http import written_rows, PORTAL_MAX_BODY, PORTAL_MAX_MESSAGE, new_sender, portal_send, raw_post, setup_conversation

CHAT = [e for e in entries() if e.is_chat and "portal" in e.on]
MALFORMED = [e for e in entries() if e.http is not None and "portal" in e.on]


def clear_refusal(answer) -> None:
    body = answer.json()
    assert isinstance(body, dict) and body.get("error") and body.get("message", "").strip(), short(body)
    assert not TRACEBACK.search(answer.text), short(answer.text)


@pytest.mark.parametrize("entry", CHAT, ids=entry_id)
def test_portal_answers_hostile_input_clearly(hostile_stack, http, entry):
    sender = new_sender("portal", entry)
    lang = entry.lang if entry.lang in ("pt", "en") else "en"
    send = lambda s, m, t=None: portal_send(http, hostile_stack, s, m, t, lang)  # noqa: E731
    setup_conversation(send, entry, sender)
    before = written_rows(hostile_stack.database_url)
    answer, size = send(sender, entry.message, make_token(entry.token))
    assert answer.status_code < 500, f"{entry.id}: HTTP {answer.status_code}: {short(answer.text)}"
    if answer.status_code != 200:
        too_big = len(entry.message) > PORTAL_MAX_MESSAGE or size > PORTAL_MAX_BODY
        assert too_big and answer.status_code in (400, 413), f"{entry.id}: HTTP {answer.status_code}: {short(answer.text)}"
        clear_refusal(answer)
    else:
        messages = answer.json().get("messages")
        assert messages, f"{entry.id}: no reply: {short(answer.text)}"
        texts = [m.get("text") or "" for m in messages] + [b["title"] for m in messages for b in m.get("buttons") or []]
        found = problems(entry, texts, effective_identity(entry.token), said=entry.message)
        assert not found, f"{entry.id}: {found}: {short(texts, 600)}"
    assert written_rows(hostile_stack.database_url) == before, f"{entry.id}: registrations or lead claims changed"


@pytest.mark.parametrize("entry", MALFORMED, ids=entry_id)
def test_portal_answers_malformed_requests_clearly(hostile_stack, http, entry):
    before = written_rows(hostile_stack.database_url)
    answer = raw_post(http, hostile_stack.portal_url + entry.http.get("path", "/api/chat"), entry.http)
    assert answer.status_code == entry.http["status"], f"{entry.id}: HTTP {answer.status_code}: {short(answer.text)}"
    if answer.status_code >= 400:
        clear_refusal(answer)
    else:
        messages = answer.json().get("messages")
        assert messages and all((m.get("text") or "").strip() for m in messages), short(answer.text)
        found = problems(entries_by_id()[entry.id], [m.get("text") for m in messages], None)
        assert not found, found
    assert written_rows(hostile_stack.database_url) == before


def entries_by_id() -> dict:
    return {e.id: e for e in entries()}


def test_portal_still_answers_a_normal_question_afterwards(hostile_stack, http):
    answer, _ = portal_send(http, hostile_stack, "hostile-portal-after", "Como funciona a vitória do melhor parceiro?", lang="pt")
    assert answer.status_code == 200
    assert answer.json()["messages"]


def test_portal_still_serves_the_page_afterwards(hostile_stack, http):
    page = http.get(f"{hostile_stack.portal_url}/", timeout=30)
    assert page.status_code == 200 and "script-src 'self'" in page.headers.get("Content-Security-Policy", "")
