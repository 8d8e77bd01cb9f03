"""The Slack channel's parts, without the Rasa server: request checks, configuration, who is staff,
text in and out, and the Web API calls (against the fake Slack)."""
from __future__ import annotations

import asyncio
import json
import time

import pytest
from rasa.shared.exceptions import InvalidConfigException

from bot.channels.slack import (
    DEFAULT_API_URL,
    PartnerSlackBot,
    PartnerSlackInput,
    SeenEvents,
    StaffPolicy,
    is_full_member,
    plain_text,
    request_problem,
    slack_mrkdwn,
    slack_signature,
    split_message,
)
from bot.identity import verify_token
from slack_events import GUEST_USER, OUTSIDER_USER, STAFF_USER, event_envelope, mention
from fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack, member

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
JWT_SECRET = "slack-unit-test-secret-0123456789abcdef0123"
TOKEN = "xoxb-unit-test"
SLACK_ENV = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "PARTNERBOT_SLACK_STAFF")


@pytest.fixture
def clean_env(monkeypatch):
    for name in SLACK_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PARTNERBOT_JWT_SECRET", JWT_SECRET)
    monkeypatch.delenv("PARTNERBOT_JWT_SECRET_FILE", raising=False)
    return monkeypatch


@pytest.fixture
def fake():
    slack = FakeSlack(TOKEN, {
        STAFF_USER: member(STAFF_USER),
        GUEST_USER: member(GUEST_USER, is_restricted=True),
        OUTSIDER_USER: member(OUTSIDER_USER, team_id="T0ELSEWHERE"),
    }).start()
    yield slack
    slack.stop()


def channel(fake_slack=None, **options) -> PartnerSlackInput:
    options.setdefault("slack_token", TOKEN)
    options.setdefault("slack_signing_secret", SECRET)
    options.setdefault("use_threads", True)
    if fake_slack is not None:
        options.setdefault("api_url", fake_slack.url)
    return PartnerSlackInput(**options)


def run_event(slack: PartnerSlackInput, envelope: dict):
    """on_event with a recording assistant that answers "ok"; returns (HTTP response, messages the assistant got)."""
    received = []

    async def on_new_message(message):
        received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "ok")

    async def go():
        answer = await slack.on_event(envelope, on_new_message)
        while slack._background_tasks:
            await asyncio.gather(*list(slack._background_tasks))
        return answer

    return asyncio.run(go()), received


# ---------------------------------------------------------------------------- request authenticity


def test_slack_documented_signature_example():
    # The worked example of https://api.slack.com/authentication/verifying-requests-from-slack
    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
            b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
            b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert slack_signature(SECRET, "1531420618", body) == expected
    assert request_problem(SECRET, "1531420618", expected, body, now=1531420618 + 10) is None


def test_signature_must_match_secret_body_and_timestamp():
    now = time.time()
    stamp = str(int(now))
    body = b'{"type":"event_callback"}'
    good = slack_signature(SECRET, stamp, body)
    assert request_problem(SECRET, stamp, good, body, now) is None
    assert request_problem("another-secret", stamp, good, body, now) == "bad_signature"
    assert request_problem(SECRET, stamp, good, body + b" ", now) == "bad_signature"
    assert request_problem(SECRET, str(int(now) - 1), good, body, now) == "bad_signature"
    assert request_problem(SECRET, stamp, "", body, now) == "bad_signature"
    assert request_problem(SECRET, stamp, None, body, now) == "bad_signature"
    assert request_problem(SECRET, stamp, good.replace("v0=", "v1="), body, now) == "bad_signature"
    assert request_problem("", stamp, slack_signature("", stamp, body), body, now) == "bad_signature"


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_timestamps_more_than_five_minutes_away_are_stale(offset):
    now = time.time()
    stamp = str(int(now) + offset)
    body = b"{}"
    assert request_problem(SECRET, stamp, slack_signature(SECRET, stamp, body), body, now) == "stale_timestamp"


@pytest.mark.parametrize("stamp", [None, "", "abc", "-5", "1e9", "12345678901234"])
def test_missing_or_malformed_timestamps_are_stale(stamp):
    assert request_problem(SECRET, stamp, "v0=00", b"{}") == "stale_timestamp"


def test_seen_events_take_each_event_once():
    seen = SeenEvents(seconds=60)
    assert seen.first_time(["event:Ev1", "message:T:C:1.1"], now=0)
    assert not seen.first_time(["event:Ev1"], now=1)  # Slack's retry of the same event
    assert not seen.first_time(["event:Ev2", "message:T:C:1.1"], now=2)  # same message, other subscription
    assert seen.first_time(["event:Ev3", "message:T:C:1.2"], now=3)
    assert seen.first_time(["event:Ev1"], now=61)  # forgotten after `seconds`
    small = SeenEvents(capacity=2)
    for key in ("a", "b", "c"):
        assert small.first_time([key])
    assert small.first_time(["a"])  # pushed out by the capacity


# ---------------------------------------------------------------------------- configuration


def test_environment_fills_what_the_credentials_file_leaves_empty(clean_env):
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    clean_env.setenv("SLACK_SIGNING_SECRET", "secret-from-env")
    clean_env.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    clean_env.setenv("PARTNERBOT_SLACK_STAFF", "U0AAA1111, U0BBB2222")
    slack = PartnerSlackInput.from_credentials(None)
    assert (slack.slack_token, slack.slack_signing_secret) == ("xoxb-from-env", "secret-from-env")
    assert slack.api_url == "http://127.0.0.1:9/api/"
    assert slack.staff.mode == "list" and slack.staff.user_ids == {"U0AAA1111", "U0BBB2222"}
    assert slack.use_threads is True and slack.conversation_granularity == "channel"
    assert slack.configured
    assert PartnerSlackInput.name() == "slack"
    empty = PartnerSlackInput.from_credentials({"slack_token": "", "slack_signing_secret": None, "staff": " "})
    assert empty.slack_token == "xoxb-from-env" and empty.staff.mode == "list"


def test_credentials_file_values_win(clean_env):
    clean_env.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    clean_env.setenv("SLACK_SIGNING_SECRET", "secret-from-env")
    slack = PartnerSlackInput.from_credentials({
        "slack_token": "xoxb-file", "slack_signing_secret": "file-secret", "staff": "none",
        "use_threads": False, "conversation_granularity": "thread", "slack_api_url": "http://127.0.0.1:9/x/"})
    assert (slack.slack_token, slack.slack_signing_secret, slack.staff.mode) == ("xoxb-file", "file-secret", "none")
    assert slack.use_threads is False and slack.conversation_granularity == "thread"
    assert slack.api_url == "http://127.0.0.1:9/x/"


def test_without_slack_settings_the_channel_is_off_and_the_server_still_starts(clean_env):
    slack = PartnerSlackInput.from_credentials(None)
    assert not slack.configured
    assert slack.api_url == DEFAULT_API_URL


@pytest.mark.parametrize("present", ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"])
def test_half_a_configuration_is_an_error(clean_env, present):
    clean_env.setenv(present, "something")
    with pytest.raises(InvalidConfigException, match="docs/slack.md"):
        PartnerSlackInput.from_credentials({})


def test_staff_policy_values():
    assert StaffPolicy(None).mode == StaffPolicy("").mode == StaffPolicy("members").mode == "members"
    assert StaffPolicy("NONE").mode == "none" and not StaffPolicy("none").allows(STAFF_USER)
    listed = StaffPolicy("U0AAA1111,W0BBB2222")
    assert listed.allows("U0AAA1111") and listed.allows("W0BBB2222") and not listed.allows("U0CCC3333")
    assert StaffPolicy(["U0AAA1111"]).user_ids == {"U0AAA1111"}
    with pytest.raises(InvalidConfigException, match="PARTNERBOT_SLACK_STAFF"):
        StaffPolicy("alice@hubspot.com")
    with pytest.raises(InvalidConfigException):
        channel(conversation_granularity="everything")


def test_full_members_only():
    assert is_full_member(member("U1"), TEAM_ID)
    assert is_full_member(member("U1"), None)
    for flags in ({"is_restricted": True}, {"is_ultra_restricted": True}, {"is_bot": True},
                  {"deleted": True}, {"is_app_user": True}, {"is_stranger": True}):
        assert not is_full_member(member("U1", **flags), TEAM_ID), flags
    assert not is_full_member(member("U1", team_id="T0ELSEWHERE"), TEAM_ID)
    assert is_full_member(member("W1", team_id="E0ORG", enterprise_user={"teams": [TEAM_ID]}), TEAM_ID)
    assert not is_full_member(member("USLACKBOT"), TEAM_ID)
    assert not is_full_member(None, TEAM_ID)


# ---------------------------------------------------------------------------- text in and out


def test_plain_text_reads_what_the_person_typed():
    bots = [BOT_USER_ID]
    assert plain_text(f"<@{BOT_USER_ID}> is <http://acme.com|acme.com> free?", bots) == "is acme.com free?"
    assert plain_text(f"check <mailto:ana@acme.com.br|ana@acme.com.br> <@{BOT_USER_ID}>", bots) == "check ana@acme.com.br"
    assert plain_text("is <https://www.acme.com/pricing> taken?", bots) == "is https://www.acme.com/pricing taken?"
    assert plain_text("ask <@U0STAFF001> in <#C0PARTNERS|partners> <!here>", bots) == "ask @U0STAFF001 in #partners"
    assert plain_text("R&amp;D &lt;3 &gt; 2\u200b\x07", bots) == "R&D <3 > 2"
    assert plain_text(f"<@{BOT_USER_ID}>", bots) == ""


def test_slack_mrkdwn_escapes_and_formats():
    assert slack_mrkdwn("A & B <tag>") == "A &amp; B &lt;tag&gt;"
    assert slack_mrkdwn("see [the portal](https://app.hubspot.com/x?a=1&b=2)") == "see <https://app.hubspot.com/x?a=1&amp;b=2|the portal>"
    assert slack_mrkdwn("**Important** and __this__") == "*Important* and *this*"
    assert slack_mrkdwn("## Title\n1. one\n- two\n") == "*Title*\n1. one\n- two"


def test_split_message_only_splits_long_texts():
    text = "first paragraph\n\nsecond paragraph"
    assert split_message(text) == [text]
    long = "\n\n".join(["x" * 1000] * 5)
    parts = split_message(long, limit=2500)
    assert all(len(p) <= 2500 for p in parts) and "\n\n".join(parts) == long
    assert split_message("y" * 30, limit=10) == ["y" * 10] * 3


# ---------------------------------------------------------------------------- which events are questions


def test_which_events_are_questions():
    slack = channel()
    assert slack.is_question(event_envelope(mention("hi")))
    assert slack.is_question(event_envelope("hi", kind="message"))
    assert slack.is_question(event_envelope("hi", kind="message", subtype="thread_broadcast"))
    assert not slack.is_question(event_envelope("hi", kind="message", bot_id=BOT_ID))
    assert not slack.is_question(event_envelope("hi", kind="message", user=BOT_USER_ID))
    assert not slack.is_question(event_envelope("hi", kind="message", subtype="bot_message"))
    assert not slack.is_question(event_envelope("hi", kind="message", subtype="message_changed"))
    assert not slack.is_question(event_envelope("hi", kind="message", channel_type="channel"))  # not addressed to us
    assert not slack.is_question(event_envelope("hi", kind="reaction_added"))
    assert not slack.is_question({"type": "event_callback"})
    listening = channel(slack_channel="C0HELPDESK")
    assert listening.is_question(event_envelope("hi", kind="message", channel="C0HELPDESK", channel_type="channel"))


def test_url_verification_is_answered_with_the_challenge():
    answer, received = run_event(channel(), {"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "token": "x"})
    assert answer.status == 200
    assert json.loads(answer.body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert received == []


# ---------------------------------------------------------------------------- identity and replies


def test_a_staff_members_question_carries_a_staff_token_and_the_reply_goes_in_its_thread(clean_env, fake):
    slack = channel(fake)
    envelope = event_envelope(mention("is <http://acme.com|acme.com> free?"), user=STAFF_USER)
    answer, received = run_event(slack, envelope)
    assert answer.status == 200
    [message] = received
    assert message.text == "is acme.com free?"
    assert message.sender_id == f"{STAFF_USER}_C0PARTNERS"
    assert message.input_channel == "slack"
    metadata = message.metadata
    assert metadata["out_channel"] == "C0PARTNERS" and metadata["thread_id"] == envelope["event"]["ts"]
    identity = verify_token(metadata["token"], key=JWT_SECRET)
    assert (identity.subject, identity.role) == (f"slack:{STAFF_USER}", "staff")
    [post] = fake.posts
    assert (post["channel"], post["thread_ts"], post["text"]) == ("C0PARTNERS", envelope["event"]["ts"], "ok")
    assert "as_user" not in post and post["unfurl_links"] is False


@pytest.mark.parametrize("user", [GUEST_USER, OUTSIDER_USER, "U0UNKNOWN1"])
def test_guests_outsiders_and_unknown_users_get_no_token(clean_env, fake, user):
    # A Slack Connect user's events name their own team: membership is still checked against ours.
    envelope = event_envelope("what is the partner program?", user=user, kind="message",
                              **({"team": "T0ELSEWHERE", "user_team": "T0ELSEWHERE"} if user == OUTSIDER_USER else {}))
    _, [message] = run_event(channel(fake), envelope)
    assert "token" not in message.metadata
    assert len(fake.posts) == 1  # answered all the same, as anyone


def test_staff_list_and_none_decide_without_asking_slack(clean_env, fake):
    _, [listed] = run_event(channel(fake, staff="U0GUEST001"), event_envelope("hi", user=GUEST_USER, kind="message"))
    assert verify_token(listed.metadata["token"], key=JWT_SECRET).subject == f"slack:{GUEST_USER}"
    _, [unlisted] = run_event(channel(fake, staff="U0GUEST001"), event_envelope("hi", user=STAFF_USER, kind="message"))
    assert "token" not in unlisted.metadata
    _, [nobody] = run_event(channel(fake, staff="none"), event_envelope("hi", user=STAFF_USER, kind="message"))
    assert "token" not in nobody.metadata
    assert not [c for c in fake.calls if c[0] == "users.info"]


def test_membership_is_asked_once_then_cached(clean_env, fake):
    slack = channel(fake)
    for _ in range(3):
        run_event(slack, event_envelope("hi", user=STAFF_USER, kind="message"))
    assert len([c for c in fake.calls if c[0] == "users.info"]) == 1


def test_without_a_jwt_secret_staff_get_no_token(clean_env, fake):
    clean_env.delenv("PARTNERBOT_JWT_SECRET")
    _, [message] = run_event(channel(fake), event_envelope("hi", user=STAFF_USER, kind="message"))
    assert "token" not in message.metadata


def test_a_retried_event_is_answered_once(clean_env, fake):
    slack = channel(fake)
    envelope = event_envelope("hi", kind="message")
    _, first = run_event(slack, envelope)
    retry, second = run_event(slack, envelope)
    assert len(first) == 1 and second == []
    assert retry.status == 200 and retry.headers.get("X-Slack-No-Retry") == "1"
    also_as_mention = {**envelope, "event_id": "EvOTHER", "event": {**envelope["event"], "type": "app_mention"}}
    _, third = run_event(slack, also_as_mention)
    assert third == [] and len(fake.posts) == 1


def test_a_question_inside_a_thread_is_answered_in_that_thread(clean_env, fake):
    envelope = event_envelope(mention("and for P-1002?"), ts="1700000100.000200", thread_ts="1700000000.000100")
    _, [message] = run_event(channel(fake), envelope)
    assert message.metadata["thread_id"] == "1700000000.000100"
    assert fake.posts[0]["thread_ts"] == "1700000000.000100"


def test_use_threads_off_replies_in_the_channel(clean_env, fake):
    run_event(channel(fake, use_threads=False), event_envelope(mention("hi")))
    assert "thread_ts" not in fake.posts[0]


def test_empty_and_too_long_messages_get_the_channels_own_answer(clean_env, fake):
    _, received = run_event(channel(fake), event_envelope(f"<@{BOT_USER_ID}>"))
    assert received == [] and "I didn't get a question" in fake.posts[-1]["text"]
    _, received = run_event(channel(fake), event_envelope("quanto " * 500, kind="message"))
    assert received == [] and "longa demais" in fake.posts[-1]["text"]


def test_a_failing_assistant_gets_an_apology_in_the_persons_language(clean_env, fake):
    slack = channel(fake)

    async def broken(_message):
        raise RuntimeError("boom")

    async def go():
        await slack.on_event(event_envelope("qual é o custo do programa de parceiros?", kind="message"), broken)
        await asyncio.gather(*list(slack._background_tasks))

    asyncio.run(go())
    assert "temporariamente indisponível" in fake.posts[-1]["text"]


def test_when_the_action_server_is_down_the_person_is_told_in_their_language(clean_env, fake):
    from bot.channels.availability import _note

    slack = channel(fake)

    async def action_server_down(_message):
        _note("action_server")  # what the watched action endpoint records when a call fails

    async def go():
        await slack.on_event(event_envelope("How much does the partner program cost?", kind="message"), action_server_down)
        await asyncio.gather(*list(slack._background_tasks))

    asyncio.run(go())
    assert [p["text"] for p in fake.posts] == ["The assistant is temporarily unavailable. Please try again in a moment."]


def test_a_button_click_is_the_next_message_of_the_thread(clean_env, fake):
    slack = channel(fake)
    received = []

    async def on_new_message(message):
        received.append(message)

    payload = {"type": "block_actions", "user": {"id": STAFF_USER, "team_id": TEAM_ID}, "team": {"id": TEAM_ID},
               "channel": {"id": "C0PARTNERS"}, "trigger_id": "123.456",
               "message": {"ts": "1700000001.000300", "thread_ts": "1700000000.000100", "bot_id": BOT_ID},
               "actions": [{"type": "button", "action_id": "partnerbot_choice_0", "value": "/faq{\"id\":\"x\"}",
                            "action_ts": "1700000002.0004"}]}

    async def go():
        first = await slack.on_interaction(payload, on_new_message)
        again = await slack.on_interaction(payload, on_new_message)
        await asyncio.gather(*list(slack._background_tasks))
        return first, again

    first, again = asyncio.run(go())
    assert first.status == again.status == 200
    [message] = received
    assert message.text == '/faq{"id":"x"}' and message.metadata["thread_id"] == "1700000000.000100"
    assert "token" in message.metadata


def test_output_posts_one_message_per_bot_message_with_buttons_within_limits(fake):
    bot = PartnerSlackBot(TOKEN, "C0PARTNERS", "1700000000.000100", api_url=fake.url)
    buttons = [{"title": "How do I register a lead and what happens when another partner already did it long ago?",
                "payload": "/faq"}, {"title": "None of these", "payload": "/human_handoff"}]

    async def go():
        await bot.send_text_message("U0STAFF001", "First paragraph.\n\nSecond **bold** paragraph.")
        await bot.send_text_with_buttons("U0STAFF001", "Did you mean:\n1. A & B", buttons)

    asyncio.run(go())
    text_post, button_post = fake.posts
    assert text_post["text"] == "First paragraph.\n\nSecond *bold* paragraph."
    assert text_post["thread_ts"] == button_post["thread_ts"] == "1700000000.000100"
    section, actions = button_post["blocks"]
    assert section["text"] == {"type": "mrkdwn", "text": "Did you mean:\n1. A &amp; B"}
    titles = [e["text"]["text"] for e in actions["elements"]]
    assert len(titles[0]) == 75 and titles[0].endswith("…") and titles[1] == "None of these"
    assert [e["value"] for e in actions["elements"]] == ["/faq", "/human_handoff"]
    assert len({e["action_id"] for e in actions["elements"]}) == 2
