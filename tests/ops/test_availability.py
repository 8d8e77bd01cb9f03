"""The REST channel when a part of the assistant is down (bot.channels.availability).

The channel's webhook is called directly with a stand-in for Rasa's agent: its action
endpoint points at a port where nothing listens (or at a server answering an error), its
tracker store fails. The person gets the channel's `unavailable` message in their
language, nothing falls back to an in-memory conversation, and a form's ordinary 400
rejection is not mistaken for a failure.
"""
from __future__ import annotations

import asyncio
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.channels.availability import WatchedActionEndpoint, admitted_turn, watch_turn
from bot.channels.rest import PartnerRestInput, channel_message

DOMAIN = Domain.from_dict({"slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}}})


def refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhook"  # closed again: nothing listens there


class AnswersWith(BaseHTTPRequestHandler):
    status = 400

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"action_name": "validate_lead_check_form", "error": "rejected"}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def action_server_answering():
    servers = []

    def start(status: int) -> str:
        handler = type("Handler", (AnswersWith,), {"status": status})
        server = HTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/webhook"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def agent_with(action_url: str | None = None, store: TrackerStore | None = None):
    endpoint = EndpointConfig(url=action_url) if action_url else None
    processor = SimpleNamespace(action_endpoint=endpoint)
    return SimpleNamespace(processor=processor, action_endpoint=endpoint,
                           tracker_store=FailSafeTrackerStore(store or InMemoryTrackerStore(DOMAIN)))


def like_rasa(agent, said: str = "half an answer"):
    """What Rasa does in a turn: a custom action through the endpoint (errors swallowed), then it answers."""

    async def on_new_message(message: UserMessage):
        await agent.tracker_store.retrieve(message.sender_id)
        try:
            await agent.processor.action_endpoint.request(json={"next_action": "action_check_lead"}, method="post")
        except Exception:  # noqa: BLE001 - rasa.core.processor logs it and carries on
            pass
        await message.output_channel.send_text_message(message.sender_id, said)

    return on_new_message


def post(agent, on_new_message, text: str, sender: str = "ops-unit") -> list:
    blueprint = PartnerRestInput().blueprint(on_new_message)
    handler = next(route.handler for route in blueprint._future_routes if route.uri == "/webhook")
    request = SimpleNamespace(json={"sender": sender, "message": text}, app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)))
    return json.loads(asyncio.run(handler(request)).body)


@pytest.mark.parametrize("text,lang", [("quero verificar um lead", "pt"), ("I want to check a lead", "en")])
def test_action_server_unreachable_the_person_is_told_in_their_language(text, lang):
    agent = agent_with(refused_url())
    answer = post(agent, like_rasa(agent), text)
    assert answer == [{"recipient_id": "ops-unit", "text": channel_message("unavailable", lang)}]
    assert isinstance(agent.processor.action_endpoint, WatchedActionEndpoint)


def test_a_text_without_a_language_gets_the_conversations_language():
    store = InMemoryTrackerStore(DOMAIN)
    asyncio.run(store.save(DialogueStateTracker.from_events("ops-unit", [SlotSet("language", "pt")], DOMAIN.slots)))
    agent = agent_with(refused_url(), store)
    answer = post(agent, like_rasa(agent), "acme.com")
    assert answer[0]["text"] == channel_message("unavailable", "pt")


def test_no_language_known_both_languages():
    agent = agent_with(refused_url(), BrokenStore(DOMAIN))
    answer = post(agent, like_rasa(agent), "acme.com")
    assert answer[0]["text"] == channel_message("unavailable", "en") + "\n" + channel_message("unavailable", "pt")


def test_an_action_server_error_is_a_failure_but_a_forms_rejection_is_not(action_server_answering):
    agent = agent_with(action_server_answering(500))
    assert post(agent, like_rasa(agent), "quero verificar um lead")[0]["text"] == channel_message("unavailable", "pt")
    agent = agent_with(action_server_answering(400))
    assert post(agent, like_rasa(agent), "quero verificar um lead")[0]["text"] == "half an answer"


def test_a_working_turn_is_left_alone():
    agent = agent_with(None)
    agent.processor.action_endpoint = None  # no custom action in this turn
    assert post(agent, like_rasa_without_actions(), "olá") == [{"recipient_id": "ops-unit", "text": "oi"}]


def like_rasa_without_actions():
    async def on_new_message(message: UserMessage):
        await message.output_channel.send_text_message(message.sender_id, "oi")

    return on_new_message


class BrokenStore(InMemoryTrackerStore):
    """A tracker store whose database is unreachable."""

    async def retrieve(self, sender_id):
        raise ConnectionError("database unreachable")

    async def save(self, tracker):
        raise ConnectionError("database unreachable")


@pytest.mark.parametrize("text,lang", [("quero verificar um lead", "pt"), ("what is the partner program?", "en")])
def test_tracker_store_unreachable_ends_the_turn_with_a_clear_message_and_no_in_memory_fallback(text, lang):
    agent = agent_with(refused_url(), BrokenStore(DOMAIN))
    answer = post(agent, like_rasa(agent), text)
    assert answer == [{"recipient_id": "ops-unit", "text": channel_message("unavailable", lang)}]
    store = agent.tracker_store
    with watch_turn(SimpleNamespace(ctx=SimpleNamespace(agent=agent))) as turn, pytest.raises(ConnectionError):
        asyncio.run(store.save(DialogueStateTracker.from_events("ops-unit", [], DOMAIN.slots)))
    assert turn.failures == ["tracker_store"]
    assert store._fallback_tracker_store is None  # nothing was kept in memory instead


def test_only_a_few_turns_at_once_the_others_wait_their_turn_in_order(monkeypatch):
    monkeypatch.setenv("PARTNERBOT_TURNS_AT_ONCE", "2")

    async def scenario():
        running, most, started = 0, 0, []

        async def turn(index: int):
            nonlocal running, most
            async with admitted_turn():
                running += 1
                most = max(most, running)
                started.append(index)
                await asyncio.sleep(0.01)
                running -= 1

        await asyncio.gather(*(turn(i) for i in range(10)))
        return most, started

    assert asyncio.run(scenario()) == (2, list(range(10)))
