"""The Slack channel end to end: signed Events API requests to the running Rasa server, replies
checked in what the fake Slack Web API received (chat.postMessage, in the question's thread).

The servers start once for the module (see conftest.slack_server); the first test waits for
the model to be trained when no model matches the current data.
"""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from bot.build import merged_domain
from bot.channels.slack import slack_mrkdwn
from bot.knowledge import faq_entries
from slack_events import GUEST_USER, STAFF_USER, event_envelope, http_post, mention, next_ts, signed_headers

REPLY_SECONDS = 120
QUIET_SECONDS = 3  # how long to watch for a post that must not come


def response_text(name: str, lang: str) -> str:
    for variation in merged_domain()["responses"][name]:
        if any(c.get("value") == lang for c in variation.get("condition", [])):
            return variation["text"]
    raise KeyError(f"{name} has no {lang} variation")


def replies(server, envelope: dict, count: int = 1) -> list:
    event = envelope["event"]
    thread = event.get("thread_ts") or event["ts"]
    return server.fake.wait_for(lambda p: p.get("channel") == event["channel"] and p.get("thread_ts") == thread,
                                count=count, timeout=REPLY_SECONDS)


def lead_summary(server, domain: str, partner_id: str, lang: str) -> str:
    from rules.db.session import make_engine
    from rules.lead_availability import check_lead

    engine = make_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return check_lead(conn, domain, partner_id, dt.date.today()).as_dict(lang, staff=True)["summary"]
    finally:
        engine.dispose()


def test_url_verification_gets_the_challenge(slack_server):
    answer = slack_server.post_event({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdAL", "type": "url_verification"})
    assert answer.status == 200
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdAL"}


def test_faq_mention_in_portuguese_is_answered_in_its_thread_in_portuguese(slack_server):
    envelope = event_envelope(mention("Como funciona a vitória do melhor parceiro?"), channel="C0FAQPT")
    answer = slack_server.post_event(envelope)
    assert answer.status == 200
    posts = replies(slack_server, envelope)
    assert posts, "no reply posted"
    assert all(p["thread_ts"] == envelope["event"]["ts"] for p in posts)
    expected = slack_mrkdwn(faq_entries()["best_partner_wins"].answer_in("pt"))
    assert posts[0]["text"] == expected


def test_faq_direct_message_in_english_is_answered_in_its_thread_in_english(slack_server):
    envelope = event_envelope("How does Best Partner Wins work?", kind="message", channel="D0FAQEN")
    assert slack_server.post_event(envelope).status == 200
    posts = replies(slack_server, envelope)
    assert posts and posts[0]["thread_ts"] == envelope["event"]["ts"]
    assert posts[0]["text"] == slack_mrkdwn(faq_entries()["best_partner_wins"].answer_in("en"))


@pytest.mark.parametrize("lang, text", [
    ("en", "is cafe-do-porto.com.br available for P-1002?"),
    ("pt", "o lead cafe-do-porto.com.br está disponível para o parceiro P-1002?"),
])
def test_a_staff_member_checks_a_lead_and_sees_the_owner(slack_server, lang, text):
    envelope = event_envelope(mention(text), user=STAFF_USER, channel=f"C0LEADS{lang.upper()}")
    assert slack_server.post_event(envelope).status == 200
    posts = replies(slack_server, envelope)
    summary = lead_summary(slack_server, "cafe-do-porto.com.br", "P-1002", lang)
    assert "P-1001" in summary  # staff see who holds the lead
    assert any(slack_mrkdwn(summary) in p["text"] for p in posts), [p["text"] for p in posts]


@pytest.mark.parametrize("lang, text", [
    ("en", "why is cafe-do-porto.com.br unavailable for P-1002? what can they still do?"),
    ("pt", "por que o cafe-do-porto.com.br está indisponível para o P-1002? o que ainda dá pra fazer?"),
])
def test_why_a_named_lead_is_unavailable_is_explained_in_a_new_thread(slack_server, lang, text):
    envelope = event_envelope(mention(text), user=STAFF_USER, channel=f"C0WHY{lang.upper()}")
    assert slack_server.post_event(envelope).status == 200
    texts = [p["text"] for p in replies(slack_server, envelope)]
    explanation = response_text("utter_lead_explanation", lang)
    heading = explanation.split("\n")[0].format(domain="cafe-do-porto.com.br")
    options = explanation.split("\n\n")[1].split("\n")[0]
    assert any(t.startswith(slack_mrkdwn(heading)) and slack_mrkdwn(options) in t for t in texts), texts


def test_a_guest_is_not_staff_and_is_asked_to_sign_in(slack_server):
    envelope = event_envelope("is cafe-do-porto.com.br available for P-1002?", user=GUEST_USER, kind="message",
                              channel="D0GUEST")
    assert slack_server.post_event(envelope).status == 200
    posts = replies(slack_server, envelope)
    assert [p["text"] for p in posts] == [slack_mrkdwn(response_text("utter_sign_in_required", "en"))]


def test_a_bad_signature_is_rejected_and_nothing_is_posted(slack_server):
    envelope = event_envelope(mention("How does Best Partner Wins work?"), channel="C0FORGED")
    assert slack_server.post_event(envelope, secret="not-the-signing-secret").status == 401
    body = json.dumps(envelope).encode()
    unsigned = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(int(time.time()))}
    assert slack_server.post_raw(body, unsigned).status == 401
    tampered = signed_headers(slack_server.signing_secret, body)
    assert slack_server.post_raw(body.replace(b"Best", b"Worst"), tampered).status == 401
    time.sleep(QUIET_SECONDS)
    assert slack_server.fake.in_channel("C0FORGED") == []


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_a_stale_or_future_timestamp_is_rejected(slack_server, age):
    envelope = event_envelope(mention("How does Best Partner Wins work?"), channel=f"C0STALE{age}".replace("-", "M"))
    answer = slack_server.post_event(envelope, timestamp=int(time.time()) - age)
    assert answer.status == 401
    time.sleep(QUIET_SECONDS)
    assert slack_server.fake.in_channel(envelope["event"]["channel"]) == []


def test_a_retry_is_not_processed_twice(slack_server):
    envelope = event_envelope(mention("Como funciona a vitória do melhor parceiro?"), channel="C0RETRY")
    assert slack_server.post_event(envelope).status == 200
    first = replies(slack_server, envelope)
    assert first
    for number, reason in ((1, "http_timeout"), (2, "http_error"), (3, "connection_failed")):
        retry = slack_server.post_event(envelope, **{"X-Slack-Retry-Num": str(number), "X-Slack-Retry-Reason": reason})
        assert retry.status == 200
    time.sleep(QUIET_SECONDS)
    assert len(slack_server.fake.in_channel("C0RETRY")) == len(first)


def test_the_bots_own_messages_and_other_bots_are_ignored(slack_server):
    from fake_slack import BOT_ID, BOT_USER_ID

    own = event_envelope("How does Best Partner Wins work?", kind="message", channel="D0SELF", user=BOT_USER_ID, bot_id=BOT_ID)
    other = event_envelope("How does Best Partner Wins work?", kind="message", channel="D0SELF", subtype="bot_message",
                           bot_id="B0SOMEBOT1")
    for envelope in (own, other):
        assert slack_server.post_event(envelope).status == 200
    time.sleep(QUIET_SECONDS)
    assert slack_server.fake.in_channel("D0SELF") == []


def test_a_question_in_a_thread_is_answered_in_that_thread(slack_server):
    parent = next_ts()
    envelope = event_envelope(mention("How does Best Partner Wins work?"), channel="C0THREAD", thread_ts=parent)
    assert slack_server.post_event(envelope).status == 200
    posts = replies(slack_server, envelope)
    assert posts and all(p["thread_ts"] == parent for p in posts)


def test_the_rest_channel_still_answers(slack_server):
    answer = http_post(f"{slack_server.rasa_url}/webhooks/rest/webhook",
                       json.dumps({"sender": "rest-check", "message": "How does Best Partner Wins work?"}).encode(),
                       {"Content-Type": "application/json"}, timeout=REPLY_SECONDS)
    assert answer.status == 200
    texts = [m["text"] for m in answer.json() if m.get("text")]  # Rasa's REST output splits paragraphs
    assert "\n\n".join(texts).startswith(faq_entries()["best_partner_wins"].answer_in("en").strip())
