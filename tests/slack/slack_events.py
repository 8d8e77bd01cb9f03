"""Slack requests as Slack sends them, for the tests: Events API envelopes, signatures, message timestamps, HTTP posts."""
from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from itertools import count
from typing import Optional

from fake_slack import BOT_USER_ID, TEAM_ID

STAFF_USER = "U0STAFF001"
GUEST_USER = "U0GUEST001"  # a guest account: not staff although it writes in the workspace
OUTSIDER_USER = "U0OTHER001"  # a member of another organisation in a shared channel

_ts = count(1)


def next_ts() -> str:
    """A Slack message timestamp, unique within the test session."""
    return f"{int(time.time())}.{next(_ts):06d}"


def signed_headers(secret: str, body: bytes, timestamp: Optional[int] = None,
                   content_type: str = "application/json", **extra: str) -> dict:
    from bot.channels.slack import slack_signature

    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": slack_signature(secret, stamp, body), **extra}


def event_envelope(text: str, user: str = STAFF_USER, channel: str = "C0PARTNERS", kind: str = "app_mention",
                   ts: Optional[str] = None, thread_ts: Optional[str] = None, **event_fields) -> dict:
    """An Events API `event_callback` as Slack sends it: an app mention in a channel or a direct message."""
    ts = ts or next_ts()
    event = {"type": kind, "user": user, "text": text, "ts": ts, "channel": channel, "team": TEAM_ID, "event_ts": ts}
    if kind == "message":
        event["channel_type"] = "im"
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(event_fields)
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0PARTNERBOT",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{secrets.token_hex(5).upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }


def mention(text: str) -> str:
    return f"<@{BOT_USER_ID}> {text}"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)

    def json(self):
        return json.loads(self.body)


def http_post(url: str, body: bytes, headers: dict, timeout: float = 30) -> Reply:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Reply(answer.status, answer.read(), dict(answer.headers))
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read(), dict(error.headers))
