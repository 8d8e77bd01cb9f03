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

from bot.channels.availability import admitted_turn, conversation_language, watch_turn
from bot.identity import verify_token
from bot.nlu.language import detect_language

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


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


def verified_metadata(raw: Any) -> Dict[Text, Any]:
    """Only a token that verifies passes; any other client metadata is dropped."""
    token = raw.get("token") if isinstance(raw, dict) else None
    return {"token": token} if verify_token(token) else {}


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
                lang = detect_language(text[:500]) or "en"
                return response.json([{"recipient_id": sender, "text": channel_message("too_long", lang, limit=MAX_MESSAGE_CHARS)}])
            text = clean_text(text or "")
            if not text:
                return response.json([{"recipient_id": sender, "text": channel_message("empty_message", "en") + "\n" + channel_message("empty_message", "pt")}])
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=verified_metadata(body.get("metadata")))

            async def handle() -> None:
                async with admitted_turn():  # a few turns at once; under load the others wait their turn
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
            return response.json(collector.messages)

        return webhook
