"""When a part of the assistant is down during a turn, the channel knows it and tells the person.

Rasa carries on when the action server cannot be reached: it logs the error and the turn
ends without the custom action's answer, so the person would get silence or half an answer.
And when the tracker store (the conversations' database) fails, Rasa's fail-safe wrapper
runs the turn on an empty conversation kept in memory, which is then lost.
`watch_turn(app)` changes both for the turns a channel handles:

- a failed call to the action server (no connection, a timeout, an error status other than a
  form's 400 rejection) is noted on the turn;
- a failed read or write of the tracker store ends the turn with the error instead of the
  in-memory fallback, so nothing half-done is stored and the conversation stays as it was.

The channel then answers its `unavailable` message in the person's language, and the same
conversation continues once the server or the database is back.

Under load, `admitted_turn()` lets a few turns run at once in a Rasa process (the others wait
their turn, first come first served): Rasa's work is mostly CPU on one event loop, so more at
once only stretches every turn until calls to the action server time out.
"""
from __future__ import annotations

import asyncio
import contextvars
import copy
import os
import weakref
from contextlib import asynccontextmanager, contextmanager
from typing import AsyncIterator, Iterator, Optional

import aiohttp
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

_current_turn: contextvars.ContextVar = contextvars.ContextVar("partnerbot_turn", default=None)
_admissions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> its semaphore


def turns_at_once() -> int:
    """How many turns a Rasa process works on at once (PARTNERBOT_TURNS_AT_ONCE, default 8)."""
    try:
        return max(1, int(os.environ.get("PARTNERBOT_TURNS_AT_ONCE", 8)))
    except ValueError:
        return 8


@asynccontextmanager
async def admitted_turn() -> AsyncIterator[None]:
    """Wait until fewer than turns_at_once() turns are in progress in this process, then run one."""
    loop = asyncio.get_running_loop()
    semaphore = _admissions.get(loop)
    if semaphore is None:
        semaphore = _admissions[loop] = asyncio.Semaphore(turns_at_once())
    async with semaphore:
        yield


class Turn:
    """What went wrong while one message was handled (empty when nothing did)."""

    def __init__(self) -> None:
        self.failures: list = []

    def note(self, what: str) -> None:
        if what not in self.failures:
            self.failures.append(what)

    @property
    def failed(self) -> bool:
        return bool(self.failures)


def _note(what: str) -> None:
    turn = _current_turn.get()
    if turn is not None:
        turn.note(what)


class WatchedActionEndpoint(EndpointConfig):
    """Rasa's action server endpoint, noting on the current turn every call that failed."""

    async def request(self, *args, **kwargs):
        try:
            return await super().request(*args, **kwargs)
        except ClientResponseError as exc:
            if exc.status != 400:  # 400 is a form rejecting its slot: ordinary dialogue, not a failure
                _note("action_server")
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            _note("action_server")
            raise


def _raise_tracker_store_error(error: Exception) -> None:
    _note("tracker_store")
    raise error


def watch_agent(agent) -> None:
    """Install both watches on a loaded agent (idempotent; a newly loaded model gets them on its first turn)."""
    processor = getattr(agent, "processor", None)
    endpoint = getattr(processor, "action_endpoint", None)
    if endpoint is not None and not isinstance(endpoint, WatchedActionEndpoint):
        watched = copy.copy(endpoint)
        watched.__class__ = WatchedActionEndpoint
        processor.action_endpoint = watched
        agent.action_endpoint = watched
    store = getattr(agent, "tracker_store", None)
    if isinstance(store, FailSafeTrackerStore) and store._on_tracker_store_error is not _raise_tracker_store_error:
        store._on_tracker_store_error = _raise_tracker_store_error
        pool = getattr(getattr(store._tracker_store, "engine", None), "pool", None)
        if pool is not None and hasattr(pool, "_pre_ping"):
            # What create_engine(pool_pre_ping=True) sets: after a database restart, connections it
            # dropped are replaced before use instead of failing the next turn of every replica.
            pool._pre_ping = True


@contextmanager
def watch_turn(app) -> Iterator[Turn]:
    """The failures of the turn handled inside the block (the Sanic app's agent gets the watches)."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    if agent is not None:
        watch_agent(agent)
    turn = Turn()
    token = _current_turn.set(turn)
    try:
        yield turn
    finally:
        _current_turn.reset(token)


async def conversation_language(app, sender_id: str) -> Optional[str]:
    """The conversation's `language` slot as last stored, or None when it cannot be read."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    try:
        tracker = await getattr(store, "_tracker_store", store).retrieve(sender_id)
        return tracker.get_slot("language") if tracker is not None else None
    except Exception:  # noqa: BLE001 - the store is what failed: fall back to the message's own language
        return None
