"""Every corpus entry through Slack: signed Events API payloads to the running server's
/webhooks/slack/webhook, the replies read from the fake Slack Web API (tests/slack/fake_slack.py).

The messages come from a guest of the workspace (not staff: nobody signed in), each in a channel
of its own, a few unanswered at a time (Slack wants its answer within 3 seconds, the assistant answers in
the background); the module's fixture sends them all, the tests judge each reply. Then the
attacks on the channel itself: forged, missing and stale signatures, a replayed event, bots.
"""
from __future__ import annotations

import json
import time

import pytest
import requests

from bot.channels.slack import MAX_BODY_BYTES
from fake_slack import BOT_USER_ID
from hostile_corpus import TRACEBACK, entries, entry_id, problems, short
from hostile_http import written_rows
from slack_events import GUEST_USER, OUTSIDER_USER, STAFF_USER, event_envelope, mention, signed_headers

IN_FLIGHT = 8  # questions sent and not answered yet (the channel answers in the background)
REPLY_SECONDS = 180
SETTLE_SECONDS = 2.0
USERS = {"guest": GUEST_USER, "outsider": OUTSIDER_USER, "spoofed_user": GUEST_USER}
REFUSED = ("bad_signature", "no_signature", "other_secret", "stale", "future", "tampered_body")

CHAT = [e for e in entries() if "slack" in e.on and (e.is_chat or (e.slack or {}).get("kind") in USERS)]
ATTACKS = [e for e in entries() if "slack" in e.on and e.slack and e.slack.get("kind") not in USERS]


def slack_text(entry) -> str:
    """The event's text as Slack sends what the person typed: &, < and > escaped, after the bot's mention.
    Entries about Slack's own markup (html-slack-*, spoofed_user) keep it, as if Slack had made it."""
    text = entry.message
    if not (entry.id.startswith("html-slack") or (entry.slack or {}).get("kind") == "spoofed_user"):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if (entry.slack or {}).get("kind") == "spoofed_user":
        text = f"<@{STAFF_USER}> says: {text}"
    return mention(text)


def post(stack, body: bytes, headers: dict) -> requests.Response:
    return requests.post(f"{stack.rasa_url}/webhooks/slack/webhook", data=body, headers=headers, timeout=60)


def thread_posts(stack, envelope: dict) -> list:
    event = envelope["event"]
    return stack.fake.posts_where(lambda p: p.get("channel") == event["channel"] and p.get("thread_ts") == event["ts"])


def wait_for_replies(stack, envelopes: list) -> None:
    """Until every envelope has a reply and nothing new came for a moment (or the time is up)."""
    deadline = time.monotonic() + REPLY_SECONDS
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        counts = [len(thread_posts(stack, e)) for e in envelopes]
        total = sum(counts)
        if total != seen:
            seen, quiet_since = total, time.monotonic()
        elif all(counts) and time.monotonic() - quiet_since >= SETTLE_SECONDS:
            return
        time.sleep(0.2)


@pytest.fixture(scope="module")
def slack_run(hostile_stack):
    """Every chat entry sent to Slack, at most IN_FLIGHT unanswered at a time: {entry id: (status, body, posts)}."""
    before = written_rows(hostile_stack.database_url)
    sent, waiting = [], []
    queue = list(enumerate(CHAT))
    deadline = time.monotonic() + REPLY_SECONDS * 4
    while (queue or waiting) and time.monotonic() < deadline:
        while queue and len(waiting) < IN_FLIGHT:
            number, entry = queue.pop(0)
            user = USERS.get((entry.slack or {}).get("kind"), GUEST_USER)
            envelope = event_envelope(slack_text(entry), user=user, channel=f"C0HOSTILE{number:04d}")
            body = json.dumps(envelope).encode("utf-8")
            answer = post(hostile_stack, body, signed_headers(hostile_stack.signing_secret, body))
            sent.append((entry, envelope, answer))
            if answer.status_code == 200:
                waiting.append(envelope)
        waiting = [e for e in waiting if not thread_posts(hostile_stack, e)]
        time.sleep(0.05)
    wait_for_replies(hostile_stack, [envelope for _, envelope, answer in sent if answer.status_code == 200])
    results = {entry.id: (answer.status_code, answer.text, thread_posts(hostile_stack, envelope))
               for entry, envelope, answer in sent}
    return {"results": results, "written_before": before, "written_after": written_rows(hostile_stack.database_url)}


@pytest.mark.parametrize("entry", CHAT, ids=entry_id)
def test_slack_answers_hostile_input_clearly_in_the_thread(slack_run, entry):
    status, body, posts = slack_run["results"][entry.id]
    if status == 413:  # more than the channel reads (1 MB; Slack itself sends at most 40,000 characters)
        assert len(json.dumps(mention(entry.message)).encode()) > MAX_BODY_BYTES and body.strip(), short(body)
        return
    assert status == 200, f"{entry.id}: HTTP {status}: {short(body)}"
    assert posts, f"{entry.id}: no reply posted in the thread"
    texts = [p.get("text") or "" for p in posts]
    texts += [el["text"]["text"] for p in posts for block in p.get("blocks") or [] if block.get("type") == "actions"
              for el in block.get("elements") or []]
    found = problems(entry, texts, None, said=entry.message)
    assert not found, f"{entry.id}: {found}: {short(texts, 600)}"


def test_slack_wrote_no_registration_or_lead_claim(slack_run):
    assert slack_run["written_after"] == slack_run["written_before"]


# ----------------------------------------------------------------------------- attacks on the channel


def attack(stack, entry) -> tuple:
    """Send the entry's Slack attack; (responses, the envelope whose thread must stay as the test says)."""
    secret = stack.signing_secret
    kind = entry.slack["kind"]
    channel = f"C0ATTACK{abs(hash(entry.id)) % 10**6:06d}"
    envelope = event_envelope(mention(entry.message), user=STAFF_USER, channel=channel)
    body = json.dumps(envelope).encode()
    now = int(time.time())
    if kind == "bad_signature":
        return [post(stack, body, {**signed_headers(secret, body), "X-Slack-Signature": "v0=" + "0" * 64})], envelope
    if kind == "no_signature":
        headers = signed_headers(secret, body)
        headers.pop("X-Slack-Signature")
        return [post(stack, body, headers)], envelope
    if kind == "other_secret":
        return [post(stack, body, signed_headers("an-attackers-own-secret", body))], envelope
    if kind == "stale":  # a request captured ten minutes ago, replayed with its valid signature
        return [post(stack, body, signed_headers(secret, body, now - 600))], envelope
    if kind == "future":
        return [post(stack, body, signed_headers(secret, body, now + 600))], envelope
    if kind == "tampered_body":
        signed = signed_headers(secret, body)
        evil = body.replace(STAFF_USER.encode(), b"U0EVIL0001")
        return [post(stack, evil, signed)], envelope
    if kind == "replay":  # the same signed request three times: at once, again, and as a Slack retry
        envelope = event_envelope(mention(entry.message), user=GUEST_USER, channel=channel)
        body = json.dumps(envelope).encode()
        headers = signed_headers(secret, body)
        answers = [post(stack, body, headers), post(stack, body, headers)]
        answers.append(post(stack, body, {**signed_headers(secret, body), "X-Slack-Retry-Num": "1",
                                          "X-Slack-Retry-Reason": "http_timeout"}))
        return answers, envelope
    if kind == "bot_message":
        envelope = event_envelope(mention(entry.message), user=STAFF_USER, channel=channel, bot_id="B0OTHERBOT")
        body = json.dumps(envelope).encode()
        return [post(stack, body, signed_headers(secret, body))], envelope
    if kind == "garbage_json":
        body = b'{"type": "event_callback", "event": {'
        return [post(stack, body, signed_headers(secret, body))], envelope
    if kind == "garbage_form":
        body = b"payload=%7Bnot%20json"
        return [post(stack, body, signed_headers(secret, body, content_type="application/x-www-form-urlencoded"))], envelope
    if kind == "url_verification_html":
        body = json.dumps({"token": "x", "type": "url_verification", "challenge": entry.message}).encode()
        return [post(stack, body, signed_headers(secret, body))], envelope
    raise ValueError(kind)


@pytest.fixture(scope="module")
def slack_attacks(hostile_stack, slack_run):
    """Every attack sent (after the corpus, so their quiet threads need no waiting of their own)."""
    before = written_rows(hostile_stack.database_url)
    sent = {entry.id: attack(hostile_stack, entry) for entry in ATTACKS}
    wait_for_replies(hostile_stack, [envelope for entry_id_, (_, envelope) in sent.items()
                                     if entries_by_id()[entry_id_].slack["kind"] == "replay"])
    time.sleep(3)  # what must not come has had time to come
    return {"sent": sent, "written_before": before, "written_after": written_rows(hostile_stack.database_url)}


def entries_by_id() -> dict:
    return {e.id: e for e in entries()}


@pytest.mark.parametrize("entry", ATTACKS, ids=entry_id)
def test_slack_refuses_or_ignores_attacks_on_the_channel(hostile_stack, slack_attacks, entry):
    answers, envelope = slack_attacks["sent"][entry.id]
    kind = entry.slack["kind"]
    for answer in answers:
        assert answer.status_code < 500 and not TRACEBACK.search(answer.text), f"{entry.id}: {answer.status_code} {short(answer.text)}"
    posts = thread_posts(hostile_stack, envelope)
    if kind in REFUSED:
        assert answers[0].status_code == 401 and answers[0].text.strip(), short(answers[0].text)
        assert posts == [], f"{entry.id}: a refused request was answered: {short(posts)}"
    elif kind == "replay":
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert "already answered" in answers[1].text and "already answered" in answers[2].text
        texts = [p["text"] for p in posts]
        assert texts and len(texts) == len(set(texts)), f"answered more than once: {short(texts)}"
        assert not problems(entry, texts, None, said=entry.message)
    elif kind == "bot_message":
        assert answers[0].status_code == 200 and posts == []
    elif kind in ("garbage_json", "garbage_form"):
        assert answers[0].status_code == 400 and answers[0].text.strip()
    elif kind == "url_verification_html":
        assert answers[0].status_code == 200
        assert answers[0].headers["Content-Type"].startswith("application/json")
        assert answers[0].json() == {"challenge": entry.message}


def test_slack_attacks_wrote_nothing(slack_attacks):
    assert slack_attacks["written_after"] == slack_attacks["written_before"]


def test_slack_still_answers_a_normal_question_afterwards(hostile_stack, slack_attacks):
    from bot.channels.slack import slack_mrkdwn
    from bot.knowledge import faq_entries

    envelope = event_envelope("How does Best Partner Wins work?", user=GUEST_USER, kind="message", channel="D0HOSTILEAFTER")
    body = json.dumps(envelope).encode()
    assert post(hostile_stack, body, signed_headers(hostile_stack.signing_secret, body)).status_code == 200
    wait_for_replies(hostile_stack, [envelope])
    posts = thread_posts(hostile_stack, envelope)
    assert posts and posts[0]["text"] == slack_mrkdwn(faq_entries()["best_partner_wins"].answer_in("en"))
    assert BOT_USER_ID not in posts[0]["text"]
