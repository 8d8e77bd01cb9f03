"""The REST channel of contract §4 (`POST /webhooks/rest/webhook`), hardened.

It replaces Rasa's `rest` channel under the same name and URL. On every message it
verifies the JWT in `metadata.token` and passes on only a token that verifies (nothing
else the client put in metadata reaches the assistant), cleans the text (control
characters, length), and answers malformed requests with a clear 400 instead of a 500.
"""
from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from bot.channels import fast_turns
from bot.channels.availability import admitted_turn, conversation_language, watch_turn
from bot.identity import Identity, verify_token
from bot.nlu.language import detect_language

logger = logging.getLogger(__name__)
fast_turns.install()  # the Rasa server loads this channel: cut what a turn costs for nothing there

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
# Control and bidi characters, and lone UTF-16 surrogates (JSON's "\ud800" decodes to one; no text can be encoded with it).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


@lru_cache(maxsize=1)
def _messages() -> dict:
    with (Path(__file__).parent / "messages.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def channel_message(code: str, lang: str, **values) -> str:
    entry = _messages()[code]
    return (entry.get(lang) or entry["en"]).format(**values)


def clean_text(text: str) -> str:
    """Text as the assistant should see it: normalised, no control or bidi characters, trimmed."""
    text = unicodedata.normalize("NFC", text)
    return " ".join(_CONTROL.sub(" ", text).split())


def in_languages(code: str, lang: Optional[str], **values) -> str:
    """A channel message in `lang`, or in both languages (en, then pt) when the language is not known."""
    if lang:
        return channel_message(code, lang, **values)
    return channel_message(code, "en", **values) + "\n" + channel_message(code, "pt", **values)


def long_text_language(text: str) -> Optional[str]:
    """The language of a (too) long message: told by its words, without the domains, ids and numbers."""
    from bot.nlu.language import strip_noise

    return detect_language(strip_noise(text[:20000])[:2000])


def verified_metadata(raw: Any) -> Dict[Text, Any]:
    """Only a token that verifies passes; any other client metadata is dropped."""
    token = raw.get("token") if isinstance(raw, dict) else None
    return {"token": token} if verify_token(token) else {}


def _kind_and_metadata(event) -> tuple:
    """An event's type name and metadata, for a stored event (Rasa's Event) or its dict form."""
    if isinstance(event, dict):
        return event.get("event"), event.get("metadata")
    return getattr(event, "type_name", None), getattr(event, "metadata", None)


def _stored_identity(metadata) -> Optional[tuple]:
    """(subject, role) of the token a stored user message carried, else None (anonymous).

    The channel stored only tokens that verified (`verified_metadata`); they are read again
    without checking the signature or expiry, as a record of who wrote that message.
    """
    import jwt

    token = metadata.get("token") if isinstance(metadata, dict) else None
    if not isinstance(token, str) or not token:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
    except jwt.PyJWTError:
        return None
    return (claims.get("sub"), claims.get("role"))


def belongs_to_someone_else(events, identity: Optional[Identity]) -> bool:
    """Did someone other than `identity` sign in to this conversation's current session?

    A conversation is its sender id, which the client chooses. Once a person signed in to it,
    only that person continues it: anyone else (another partner, staff, or nobody signed in,
    e.g. after signing out or when the token expired) starts a new session, so that the
    forms, the lead being discussed and the messages of the earlier person are not theirs.
    Signing in during an anonymous conversation continues it.
    """
    signed_in: set = set()
    for event in events:
        kind, metadata = _kind_and_metadata(event)
        if kind == "session_started":
            signed_in = set()
        elif kind == "user":
            who = _stored_identity(metadata)
            if who is not None:
                signed_in.add(who)
    if not signed_in:
        return False
    return identity is None or (identity.subject, identity.role) not in signed_in


async def keep_conversations_apart(app, sender: str, identity: Optional[Identity]) -> None:
    """A message from someone other than who signed in to the conversation starts a new session (see above)."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    agent = getattr(getattr(app, "ctx", None), "agent", None)
    store = getattr(agent, "tracker_store", None)
    lock_store = getattr(agent, "lock_store", None)
    if store is None or lock_store is None:
        return

    async def someone_elses():
        tracker = await store.retrieve(sender)  # the current session (Rasa's SQL store)
        if tracker is None or not belongs_to_someone_else(tracker.events, identity):
            return None
        return tracker

    if await someone_elses() is None:  # the usual case: read only, no lock
        return
    async with lock_store.lock(sender):  # as Rasa writes a conversation: one turn at a time
        tracker = await someone_elses()
        if tracker is None:
            return
        logger.info("a message from another identity than the conversation's: starting a new session")
        for event in (ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)):
            tracker.update(event)
        await store.save(tracker)


class PartnerRestInput(RestInput):
    """Rasa's REST channel with identity checked on every message."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request):
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            try:
                body = request.json
            except Exception:  # sanic raises on malformed JSON
                body = None
            if not isinstance(body, dict):
                return response.json({"error": channel_message("bad_request", "en")}, status=400)
            sender = body.get("sender")
            text = body.get("message")
            if sender is None:
                sender = "default"
            if not isinstance(sender, (str, int)) or not str(sender).strip() or len(str(sender)) > MAX_SENDER_CHARS:
                return response.json({"error": channel_message("bad_request", "en")}, status=400)
            sender = clean_text(str(sender))[:MAX_SENDER_CHARS] or "default"
            if text is not None and not isinstance(text, str):
                text = str(text) if isinstance(text, (int, float)) else None
            if text is not None and len(text) > MAX_MESSAGE_CHARS:
                said = in_languages("too_long", long_text_language(text), limit=MAX_MESSAGE_CHARS)
                return response.json([{"recipient_id": sender, "text": said}])
            text = clean_text(text or "")
            if not text:
                return response.json([{"recipient_id": sender, "text": channel_message("empty_message", "en") + "\n" + channel_message("empty_message", "pt")}])
            collector = CollectingOutputChannel()
            metadata = verified_metadata(body.get("metadata"))
            message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)

            async def handle() -> None:
                async with admitted_turn():  # a few turns at once; under load the others wait their turn
                    await keep_conversations_apart(request.app, sender, verify_token(metadata.get("token")))
                    await on_new_message(message)

            with watch_turn(request.app) as turn:  # the action server or the conversations' database down
                try:
                    # Shielded: a client that gives up does not cut a turn in half (it is finished and stored).
                    await asyncio.shield(handle())
                except asyncio.CancelledError:
                    logger.error("message handling timed out")
                except Exception:  # the person gets a clear message, the log gets the details
                    logger.exception("message handling failed")
                    turn.note("error")
            if turn.failed:  # whatever was half-said is replaced by one clear message in the person's language
                logger.warning("turn failed (%s): answering 'unavailable'", ", ".join(turn.failures))
                lang = detect_language(text)
                if not lang and turn.failures == ["action_server"]:  # the stored conversation can still be read
                    lang = await conversation_language(request.app, sender)
                said = channel_message("unavailable", lang) if lang else (
                    channel_message("unavailable", "en") + "\n" + channel_message("unavailable", "pt"))
                collector.messages = [{"recipient_id": sender, "text": said}]
            elif not collector.messages:  # e.g. "/restart": the turn went well but said nothing
                lang = detect_language(text) or await conversation_language(request.app, sender)
                collector.messages = [{"recipient_id": sender, "text": in_languages("no_answer", lang)}]
            return response.json(collector.messages)

        return webhook
