"""The Slack channel for HubSpot's partner team: Rasa's Slack connector, configured from the environment and hardened.

`PartnerSlackInput` answers Slack's Events API (app mentions and direct messages) and
interactivity (button clicks) at `POST /webhooks/slack/webhook`. It replies in the thread
of the question, through a Slack Web API whose base URL is configurable (SLACK_API_URL).
Every request must carry a valid Slack signature made less than five minutes ago (401
otherwise); an event is answered once however often Slack retries it; the bot's own and
other bots' messages are ignored. Workspace members act as staff (PARTNERBOT_SLACK_STAFF
narrows that): for them the channel mints a short-lived token with
`bot.identity.issue_token`, the one proof of identity the actions trust.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text, Tuple
from urllib.parse import parse_qs

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.availability import watch_turn
from bot.channels.rest import MAX_MESSAGE_CHARS, channel_message, clean_text, in_languages, long_text_language
from bot.identity import issue_token
from bot.nlu.language import detect_language

logger = logging.getLogger(__name__)

TOKEN_ENV = "SLACK_BOT_TOKEN"
SIGNING_SECRET_ENV = "SLACK_SIGNING_SECRET"
STAFF_ENV = "PARTNERBOT_SLACK_STAFF"
API_URL_ENV = "SLACK_API_URL"
DEFAULT_API_URL = "https://slack.com/api/"

MAX_REQUEST_AGE_SECONDS = 5 * 60  # Slack's advice: older (or later) requests may be replays
MAX_BODY_BYTES = 1_000_000
STAFF_TOKEN_SECONDS = 300  # the minted token only has to outlive one turn of the assistant
MEMBER_CACHE_SECONDS = 600
SEEN_EVENT_SECONDS = 3600  # Slack retries within minutes; an hour is ample
SEEN_EVENT_CAPACITY = 20_000
SLACK_TEXT_LIMIT = 3900  # Slack truncates long messages; split before
SLACK_SECTION_LIMIT = 3000  # a section block's text
SLACK_BUTTON_TEXT_LIMIT = 75
SLACK_BUTTON_VALUE_LIMIT = 2000
SLACK_MAX_BUTTONS = 25
# Message subtypes that are a person typing a question; every other subtype (edits,
# deletions, joins, bot messages, …) is not a question for the assistant.
QUESTION_SUBTYPES = {None, "thread_broadcast", "file_share"}


# ---------------------------------------------------------------------------- configuration


def setting(credentials: Optional[Dict[Text, Any]], key: str, env: str, default: Any = None) -> Any:
    """The credentials file's value, else the environment variable's, else `default` (empty counts as unset)."""
    value = (credentials or {}).get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        value = os.environ.get(env, "")
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return default
    return value


def as_bool(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class StaffPolicy:
    """Which Slack users act as staff: every full member of the workspace, nobody, or a list of user ids.

    PARTNERBOT_SLACK_STAFF (or the credentials' `staff`): empty or `members` → every full
    member of the workspace the event comes from (guests, bots, deactivated users and
    people from other organisations in shared channels are not staff); `none` → nobody;
    otherwise a comma-separated list of Slack user ids.
    """

    def __init__(self, spec: Any = None):
        if isinstance(spec, (list, tuple, set)):
            spec = ",".join(str(item) for item in spec)
        text = str(spec or "").strip()
        self.mode = "members"
        self.user_ids: frozenset = frozenset()
        if not text or text.lower() in ("members", "all", "workspace"):
            return
        if text.lower() == "none":
            self.mode = "none"
            return
        ids = [part.strip() for part in text.split(",") if part.strip()]
        bad = [part for part in ids if not re.fullmatch(r"[UW][A-Z0-9]{2,}", part)]
        if bad:
            raise InvalidConfigException(
                f"{STAFF_ENV} must be empty (every workspace member), 'none' or a comma-separated list "
                f"of Slack user ids such as U012ABCDEF; not {', '.join(bad)}")
        self.mode = "list"
        self.user_ids = frozenset(ids)

    def __repr__(self) -> str:
        return f"StaffPolicy({self.mode}{'' if self.mode != 'list' else ': ' + ', '.join(sorted(self.user_ids))})"

    @property
    def needs_directory(self) -> bool:
        return self.mode == "members"

    def allows(self, user_id: str) -> bool:
        """For the `list` and `none` modes: the decision without asking Slack."""
        return self.mode == "list" and user_id in self.user_ids


def is_full_member(user: Dict[Text, Any], team_id: Optional[str]) -> bool:
    """A users.info `user` is a full member of `team_id`: not a guest, bot, app or deactivated account."""
    if not isinstance(user, dict):
        return False
    if any(user.get(flag) for flag in ("deleted", "is_bot", "is_app_user", "is_restricted", "is_ultra_restricted", "is_stranger")):
        return False
    if user.get("id") == "USLACKBOT":
        return False
    if team_id:
        teams = {user.get("team_id")} | set((user.get("enterprise_user") or {}).get("teams") or [])
        if team_id not in teams:
            return False
    return True


# ---------------------------------------------------------------------------- request authenticity


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), b"v0:" + timestamp.encode("ascii") + b":" + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def request_problem(secret: str, timestamp: Optional[str], signature: Optional[str], body: bytes,
                    now: Optional[float] = None) -> Optional[str]:
    """Why a request is not from Slack ('stale_timestamp', 'bad_signature'), or None when it is."""
    if not timestamp or not re.fullmatch(r"\d{1,12}", timestamp.strip()):
        return "stale_timestamp"
    timestamp = timestamp.strip()
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_REQUEST_AGE_SECONDS:
        return "stale_timestamp"
    if not secret or not signature or not signature.startswith("v0="):
        return "bad_signature"
    if not hmac.compare_digest(slack_signature(secret, timestamp, body).encode(), signature.strip().encode()):
        return "bad_signature"
    return None


class SeenEvents:
    """Events already taken, so that Slack's retries (X-Slack-Retry-Num) and a message seen twice
    (app_mention and message.* events for the same message) are answered once."""

    def __init__(self, seconds: float = SEEN_EVENT_SECONDS, capacity: int = SEEN_EVENT_CAPACITY):
        self.seconds = seconds
        self.capacity = capacity
        self._seen: "OrderedDict[str, float]" = OrderedDict()

    def first_time(self, keys: Iterable[str], now: Optional[float] = None) -> bool:
        """True (and remember the keys) when none of `keys` was seen; False for a repeat."""
        now = time.monotonic() if now is None else now
        while self._seen and next(iter(self._seen.values())) < now:
            self._seen.popitem(last=False)
        keys = [k for k in keys if k]
        if any(k in self._seen for k in keys):
            return False
        for key in keys:
            self._seen[key] = now + self.seconds
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True


# ---------------------------------------------------------------------------- text in and out

_SLACK_ENTITY = re.compile(r"<([^<>|\s]*)(?:\|([^<>]*))?>")


def plain_text(text: str, bot_user_ids: Iterable[str] = ()) -> str:
    """A Slack message as the assistant should read it: mentions of the bot removed, links and
    mentions replaced by what the person typed, Slack's escapes undone, control characters cleaned."""
    bots = set(bot_user_ids or ())

    def replace(match: re.Match) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return " " if target[1:] in bots else (label or target)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):  # <!here>, <!subteam^ID|@team>, <!date^…|fallback>
            return label or ""
        if label:
            return label
        return target[len("mailto:"):] if target.startswith("mailto:") else target

    text = _SLACK_ENTITY.sub(replace, text or "")
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return clean_text(text)


_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)


def slack_mrkdwn(text: str) -> str:
    """The assistant's Markdown in Slack's mrkdwn: &, < and > escaped, [label](url) links, **bold** and headings."""
    text = (text or "").strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    text = _MD_BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)
    return _MD_HEADING.sub(lambda m: f"*{m.group(1)}*", text)


def split_message(text: str, limit: int = SLACK_TEXT_LIMIT) -> List[str]:
    """One Slack message per bot message; only a text over Slack's size splits, at paragraph or line ends."""
    text = text.strip()
    parts: List[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].strip()
    if text:
        parts.append(text)
    return parts


def _shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------------------- output


def web_client(token: Optional[str], api_url: str, proxy: Optional[str] = None) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=api_url, proxy=proxy, timeout=15)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


class PartnerSlackBot(SlackBot):
    """Rasa's Slack output, posting through the configured Web API: one Slack message per bot
    message (not one per paragraph), Markdown turned into mrkdwn, buttons within Slack's limits."""

    def __init__(self, token: Text, slack_channel: Optional[Text] = None, thread_id: Optional[Text] = None,
                 proxy: Optional[Text] = None, api_url: str = DEFAULT_API_URL) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = web_client(token, api_url, proxy)
        self.posted = 0  # messages posted through this output (one turn's)

    async def _post_message(self, channel: Text, **kwargs: Any) -> None:
        kwargs.pop("as_user", None)  # a legacy argument that apps with a bot token must not send
        kwargs.pop("type", None)
        kwargs.setdefault("unfurl_links", False)
        kwargs.setdefault("unfurl_media", False)
        if self.thread_id:
            kwargs["thread_ts"] = self.thread_id
        await self.client.chat_postMessage(channel=channel, **kwargs)
        self.posted += 1

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        recipient = self.slack_channel or recipient_id
        for part in split_message(slack_mrkdwn(text)):
            await self._post_message(channel=recipient, text=part)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        recipient = self.slack_channel or recipient_id
        parts = split_message(slack_mrkdwn(text), SLACK_SECTION_LIMIT) or [" "]
        for part in parts[:-1]:
            await self._post_message(channel=recipient, text=part)
        elements = [
            {
                "type": "button",
                "action_id": f"partnerbot_choice_{i}",
                "text": {"type": "plain_text", "text": _shorten(button.get("title", ""), SLACK_BUTTON_TEXT_LIMIT) or "…"},
                "value": str(button.get("payload", ""))[:SLACK_BUTTON_VALUE_LIMIT],
            }
            for i, button in enumerate(buttons[:SLACK_MAX_BUTTONS])
        ]
        blocks: List[Dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": parts[-1]}}]
        if elements:
            blocks.append({"type": "actions", "elements": elements})
        await self._post_message(channel=recipient, text=parts[-1], blocks=blocks)


# ---------------------------------------------------------------------------- input


class PartnerSlackInput(SlackInput):
    """Rasa's Slack input channel with partnerbot's configuration, request checks and identity."""

    @classmethod
    def name(cls) -> Text:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "PartnerSlackInput":
        credentials = credentials or {}
        return cls(
            slack_token=setting(credentials, "slack_token", TOKEN_ENV),
            slack_channel=credentials.get("slack_channel") or None,
            proxy=credentials.get("proxy") or None,
            use_threads=as_bool(credentials.get("use_threads"), True),
            slack_signing_secret=setting(credentials, "slack_signing_secret", SIGNING_SECRET_ENV, ""),
            conversation_granularity=credentials.get("conversation_granularity") or "channel",
            staff=setting(credentials, "staff", STAFF_ENV),
            api_url=setting(credentials, "slack_api_url", API_URL_ENV, DEFAULT_API_URL),
        )

    def __init__(self, slack_token: Optional[Text], slack_channel: Optional[Text] = None, proxy: Optional[Text] = None,
                 slack_retry_reason_header: Optional[Text] = None, slack_retry_number_header: Optional[Text] = None,
                 errors_ignore_retry: Optional[List[Text]] = None, use_threads: Optional[bool] = True,
                 slack_signing_secret: Text = "", conversation_granularity: Optional[Text] = "channel",
                 staff: Any = None, api_url: str = DEFAULT_API_URL) -> None:
        if conversation_granularity not in ("sender", "channel", "thread"):
            raise InvalidConfigException("conversation_granularity must be sender, channel or thread")
        self.staff = StaffPolicy(staff)
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.seen = SeenEvents()
        self._members: Dict[Tuple[str, str], Tuple[bool, float]] = {}
        super().__init__(
            slack_token or "", slack_channel, proxy,
            slack_retry_reason_header or "x-slack-retry-reason", slack_retry_number_header or "x-slack-retry-num",
            errors_ignore_retry, use_threads, slack_signing_secret or "", conversation_granularity,
        )

    # Configured means both the bot token and the signing secret; neither leaves the channel
    # switched off (the assistant runs without Slack), only one of them is a mistake.
    @property
    def configured(self) -> bool:
        return bool(self.slack_token and self.slack_signing_secret)

    def _validate_credentials(self) -> None:
        if bool(self.slack_token) != bool(self.slack_signing_secret):
            missing = TOKEN_ENV if not self.slack_token else SIGNING_SECRET_ENV
            raise InvalidConfigException(
                f"The Slack channel needs both the bot token ({TOKEN_ENV}) and the signing secret "
                f"({SIGNING_SECRET_ENV}); {missing} is not set. See docs/slack.md.")
        if not self.configured:
            logger.info("Slack channel off: set %s and %s to answer Slack (docs/slack.md).", TOKEN_ENV, SIGNING_SECRET_ENV)
        else:
            logger.info("Slack channel on: Web API %s, staff: %r, replies in threads: %s",
                        self.api_url, self.staff, self.use_threads)

    def get_output_channel(self, channel: Optional[Text] = None, thread_id: Optional[Text] = None) -> OutputChannel:
        return PartnerSlackBot(self.slack_token, channel or self.slack_channel, thread_id, self.proxy, self.api_url)

    # ------------------------------------------------------------------ who is asking

    async def is_staff(self, user_id: str, team_id: Optional[str]) -> bool:
        if not user_id:
            return False
        if not self.staff.needs_directory:
            return self.staff.allows(user_id)
        key = (team_id or "", user_id)
        cached = self._members.get(key)
        now = time.monotonic()
        if cached and cached[1] > now:
            return cached[0]
        try:
            answer = await web_client(self.slack_token, self.api_url, self.proxy).users_info(user=user_id)
            member = is_full_member(answer.get("user"), team_id)
        except SlackApiError as exc:
            # Unknown to this workspace, or the app lacks users:read: not staff (fail closed).
            logger.warning("Slack users.info for %s failed (%s); treating them as not staff. "
                           "The app needs the users:read scope.", user_id, exc.response.get("error"))
            return False
        except Exception:
            logger.exception("Slack users.info for %s failed; treating them as not staff", user_id)
            return False
        self._members[key] = (member, now + MEMBER_CACHE_SECONDS)
        return member

    async def identity_metadata(self, user_id: str, team_id: Optional[str]) -> Dict[Text, Any]:
        """{"token": a short-lived staff JWT} for staff, {} for anyone else."""
        if not await self.is_staff(user_id, team_id):
            return {}
        try:
            return {"token": issue_token(f"slack:{user_id}", "staff", ttl_seconds=STAFF_TOKEN_SECONDS)}
        except RuntimeError:
            logger.error("Slack staff member %s gets no staff rights: PARTNERBOT_JWT_SECRET is not set", user_id)
            return {}

    # ------------------------------------------------------------------ what arrived

    @staticmethod
    def bot_user_ids(envelope: Dict[Text, Any]) -> List[str]:
        """The app's bot user(s): its mentions are removed from the text, its messages ignored."""
        authorizations = [a for a in envelope.get("authorizations") or [] if isinstance(a, dict)]
        if authorizations:
            ids = [a.get("user_id") for a in authorizations if a.get("is_bot", True)]
        else:  # older payloads
            ids = list(envelope.get("authed_users") or [])
        return [i for i in ids if isinstance(i, str) and i]

    def is_question(self, envelope: Dict[Text, Any]) -> bool:
        """A person's message to the assistant: an app mention, a direct message, or a message in `slack_channel`."""
        event = envelope.get("event")
        if not isinstance(event, dict) or event.get("type") not in ("message", "app_mention"):
            return False
        if event.get("bot_id") or event.get("bot_profile") or event.get("subtype") not in QUESTION_SUBTYPES:
            return False
        user = event.get("user")
        if not isinstance(user, str) or not user or user in self.bot_user_ids(envelope):
            return False
        if not isinstance(event.get("text"), str) or not isinstance(event.get("channel"), str):
            return False
        return (event.get("type") == "app_mention" or event.get("channel_type") == "im"
                or (bool(self.slack_channel) and event.get("channel") == self.slack_channel))

    # ------------------------------------------------------------------ answering

    def answer(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], raw_text: str, user_id: str,
               team_id: Optional[str], channel_id: str, thread_ts: Optional[str], bot_ids: List[str], app: Any = None) -> None:
        """Hand the message to the assistant in the background: Slack wants its answer within 3 seconds."""
        thread_id = thread_ts if self.use_threads else None
        output = self.get_output_channel(channel_id, thread_id)
        text = plain_text(raw_text, bot_ids)
        if len(text) > MAX_MESSAGE_CHARS:
            reply = in_languages("too_long", long_text_language(text), limit=MAX_MESSAGE_CHARS)
            self._in_background(self._reply(output, channel_id, reply))
            return
        if not text:
            reply = channel_message("empty_message", "en") + "\n" + channel_message("empty_message", "pt")
            self._in_background(self._reply(output, channel_id, reply))
            return
        metadata: Dict[Text, Any] = {"out_channel": channel_id, "thread_id": thread_ts, "users": bot_ids}
        sender = self._get_conversation_id(user_id, channel_id, thread_ts)
        self._in_background(self._handle(on_new_message, text, output, sender, metadata, user_id, team_id, channel_id, app))

    async def _reply(self, output: OutputChannel, channel_id: str, text: str) -> None:
        try:
            await output.send_text_message(channel_id, text)
        except Exception:
            logger.exception("could not post to Slack")

    async def _handle(self, on_new_message, text: str, output: OutputChannel, sender: Optional[str],
                      metadata: Dict[Text, Any], user_id: str, team_id: Optional[str], channel_id: str, app: Any = None) -> None:
        metadata = {**metadata, **await self.identity_metadata(user_id, team_id)}
        message = UserMessage(text, output, sender, input_channel=self.name(), metadata=metadata)
        with watch_turn(app) as turn:  # the action server or the conversations' database down
            try:
                await on_new_message(message)
            except SlackApiError as exc:
                logger.error("Slack refused a reply: %s", exc.response.get("error"))
            except Exception:  # the person gets a clear message, the log gets the details
                logger.exception("Slack message handling failed")
                turn.note("error")
        if turn.failed:
            logger.warning("Slack turn failed (%s): answering 'unavailable'", ", ".join(turn.failures))
            await self._reply(output, channel_id, channel_message("unavailable", detect_language(text) or "en"))
        elif getattr(output, "posted", None) == 0:  # e.g. "/restart": the turn went well but said nothing
            await self._reply(output, channel_id, in_languages("no_answer", detect_language(text)))

    def _in_background(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    async def on_event(self, envelope: Dict[Text, Any], on_new_message, app: Any = None) -> HTTPResponse:
        if envelope.get("type") == "url_verification":
            return response.json({"challenge": envelope.get("challenge", "")})
        if envelope.get("type") != "event_callback" or not self.is_question(envelope):
            return response.text("ignored")
        event = envelope["event"]
        authorizations = [a for a in envelope.get("authorizations") or [] if isinstance(a, dict)]
        team_id = envelope.get("team_id") or (authorizations[0].get("team_id") if authorizations else None)
        keys = [f"event:{envelope['event_id']}"] if envelope.get("event_id") else []
        if event.get("ts"):  # the same message may come as app_mention and as message.* events
            keys.append(f"message:{team_id}:{event['channel']}:{event['ts']}")
        if not self.seen.first_time(keys):
            logger.info("Slack event %s already taken; not answering it again", envelope.get("event_id"))
            return response.text("already answered", headers={"X-Slack-No-Retry": "1"})
        thread_ts = event.get("thread_ts") or event.get("ts")
        # Membership is checked against the workspace the app is installed in, never the user's own team.
        self.answer(on_new_message, event["text"], event["user"], team_id, event["channel"], thread_ts,
                    self.bot_user_ids(envelope), app)
        return response.text("")

    async def on_interaction(self, payload: Dict[Text, Any], on_new_message, app: Any = None) -> HTTPResponse:
        """A button of ours clicked: its value is the next message of the conversation."""
        actions = payload.get("actions") or []
        action = actions[0] if actions and isinstance(actions[0], dict) else {}
        value = self._get_interactive_response(action) if action.get("type") else None
        user = payload.get("user") or {}
        channel = (payload.get("channel") or {}).get("id")
        if payload.get("type") not in ("block_actions", "interactive_message") or not value or not user.get("id") or not channel:
            return response.text("ignored")
        message = payload.get("message") or {}
        key = f"action:{user['id']}:{action.get('action_ts') or payload.get('trigger_id')}"
        if not self.seen.first_time([key]):
            return response.text("already answered")
        team_id = (payload.get("team") or {}).get("id") or user.get("team_id")
        self.answer(on_new_message, str(value), user["id"], team_id, channel,
                    message.get("thread_ts") or message.get("ts"), [], app)
        return response.text("")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack_webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.configured else "off"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.configured:
                return response.text("The Slack channel is not configured (docs/slack.md).", status=HTTPStatus.SERVICE_UNAVAILABLE)
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return response.text("Request too large.", status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            problem = request_problem(self.slack_signing_secret, request.headers.get("X-Slack-Request-Timestamp"),
                                      request.headers.get("X-Slack-Signature"), body)
            if problem:
                logger.warning("Slack request rejected: %s", problem)
                text = ("Request timestamp missing or more than five minutes away from now."
                        if problem == "stale_timestamp" else "Request is not signed with a valid X-Slack-Signature.")
                return response.text(text, status=HTTPStatus.UNAUTHORIZED)
            content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            try:
                if content_type == "application/json":
                    envelope = json.loads(body)
                    if isinstance(envelope, dict):
                        return await self.on_event(envelope, on_new_message, request.app)
                elif content_type == "application/x-www-form-urlencoded":
                    payload = json.loads((parse_qs(body.decode("utf-8")).get("payload") or ["{}"])[0])
                    if isinstance(payload, dict):
                        return await self.on_interaction(payload, on_new_message, request.app)
            except (ValueError, UnicodeDecodeError):
                pass
            return response.text("Unsupported or malformed request.", status=HTTPStatus.BAD_REQUEST)

        return slack_webhook
