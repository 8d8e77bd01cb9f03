"""Where conversations and locks are kept: endpoints.yml / endpoints-scaled.yml as Rasa reads them.

Conversations are in Rasa's SQL tracker store (an SQLite file next to the rules database by
default, the same PostgreSQL database in the scaled mode); a new tracker store on the same
file (a restarted process) finds a half-finished form where it was. The scaled mode adds
Rasa's Redis lock store; both files agree on everything else.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from bot.cli.serve import ENDPOINTS, ENDPOINTS_SCALED, default_tracker_url, redis_endpoint_env, scaled_env, ServeError

ENV = {
    "PARTNERBOT_ACTION_URL": "http://127.0.0.1:5055/webhook",
    "PARTNERBOT_REDIS_HOST": "127.0.0.1",
    "PARTNERBOT_REDIS_PORT": "56379",
    "PARTNERBOT_REDIS_DB": "0",
    "PARTNERBOT_REDIS_PASSWORD": "",
}


@pytest.fixture
def endpoint_env(monkeypatch, tmp_path):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    url = default_tracker_url(f"sqlite:///{tmp_path / 'partnerbot.db'}")
    monkeypatch.setenv("PARTNERBOT_TRACKER_URL", url)
    return url


def read(path: Path):
    from rasa.core.utils import AvailableEndpoints

    return AvailableEndpoints.read_endpoints(str(path))


def test_the_tracker_store_sits_next_to_the_rules_database(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERBOT_VAR_DIR", str(tmp_path / "var"))
    assert default_tracker_url(None) == f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"
    assert default_tracker_url(f"sqlite:///{tmp_path / 'x' / 'bench.db'}") == f"sqlite:///{tmp_path / 'x' / 'tracker.db'}"
    assert (tmp_path / "x").is_dir()
    pg = "postgresql+psycopg2://partnerbot@127.0.0.1:55432/partnerbot"
    assert default_tracker_url(pg) == pg


def test_endpoints_use_rasas_sql_tracker_store_and_one_process_keeps_the_in_memory_lock_store(endpoint_env):
    endpoints = read(ENDPOINTS)
    assert endpoints.tracker_store.type == "SQL"
    assert endpoints.tracker_store.url == endpoint_env
    assert endpoints.lock_store is None
    assert endpoints.action.url == ENV["PARTNERBOT_ACTION_URL"]


def test_the_scaled_endpoints_add_rasas_redis_lock_store_and_agree_on_the_rest(endpoint_env):
    from rasa.core.lock_store import LockStore, RedisLockStore

    endpoints = read(ENDPOINTS_SCALED)
    assert endpoints.lock_store.type == "redis"
    lock_store = LockStore.create(endpoints.lock_store)  # connects lazily
    assert isinstance(lock_store, RedisLockStore)
    assert lock_store.red.connection_pool.connection_kwargs["port"] == 56379
    assert lock_store.key_prefix.startswith("partnerbot:")
    one, scaled = (yaml.safe_load(p.read_text()) for p in (ENDPOINTS, ENDPOINTS_SCALED))
    assert {k: v for k, v in scaled.items() if k != "lock_store"} == one


def test_a_restarted_process_finds_a_half_finished_form_in_the_sqlite_tracker_store(endpoint_env):
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_dict({
        "intents": ["check_lead"],
        "slots": {"lead_domain": {"type": "text", "mappings": [{"type": "from_text"}]}},
        "forms": {"lead_check_form": {"required_slots": ["lead_domain"]}},
    })
    events = [ActionExecuted("action_listen"), UserUttered("quero verificar um lead", {"name": "check_lead"}),
              ActionExecuted("lead_check_form"), ActiveLoop("lead_check_form"), SlotSet("requested_slot", "lead_domain"),
              ActionExecuted("action_listen")]
    config = read(ENDPOINTS).tracker_store

    first = TrackerStore.create(config, domain)
    asyncio.run(first.save(DialogueStateTracker.from_events("ops-restart", events, domain.slots)))
    first.engine.dispose()  # the process ends

    second = TrackerStore.create(config, domain)  # a new process on the same file
    tracker = asyncio.run(second.retrieve("ops-restart"))
    assert [e.as_dict()["event"] for e in tracker.events] == [e.as_dict()["event"] for e in events]
    assert tracker.active_loop_name == "lead_check_form"
    assert tracker.get_slot("requested_slot") == "lead_domain"
    assert Path(endpoint_env.split("///", 1)[1]).is_file()


def test_a_redis_url_becomes_the_lock_stores_settings():
    assert redis_endpoint_env("redis://127.0.0.1:56379/0") == {
        "PARTNERBOT_REDIS_HOST": "127.0.0.1", "PARTNERBOT_REDIS_PORT": "56379", "PARTNERBOT_REDIS_DB": "0",
        "PARTNERBOT_REDIS_PASSWORD": ""}
    assert redis_endpoint_env("redis://:s%40cret@10.0.0.5/3")["PARTNERBOT_REDIS_PASSWORD"] == "s@cret"
    assert redis_endpoint_env("redis://localhost")["PARTNERBOT_REDIS_PORT"] == "6379"
    with pytest.raises(ServeError):
        redis_endpoint_env("http://127.0.0.1:6379")


def test_the_scaled_mode_refuses_sqlite():
    with pytest.raises(ServeError, match="PostgreSQL"):
        scaled_env({"PARTNERBOT_DATABASE_URL": "sqlite:///var/partnerbot.db"})
    with pytest.raises(ServeError, match="shared tracker store"):
        scaled_env({"PARTNERBOT_DATABASE_URL": "postgresql://x@127.0.0.1/db", "PARTNERBOT_TRACKER_URL": "sqlite:///t.db",
                    "PARTNERBOT_REDIS_URL": "redis://127.0.0.1:1/0"})


def test_the_scaled_mode_uses_the_services_it_is_given_without_starting_any(monkeypatch):
    import bot.cli.serve as serve

    monkeypatch.setattr(serve, "run_script", lambda *a: pytest.fail("no local service should be started"))
    env = scaled_env({"PARTNERBOT_DATABASE_URL": "postgresql+psycopg2://u:pw@db.internal/partnerbot",
                      "PARTNERBOT_REDIS_URL": "redis://:pw@redis.internal:6380/2"})
    assert env["PARTNERBOT_TRACKER_URL"] == env["PARTNERBOT_DATABASE_URL"]
    assert (env["PARTNERBOT_REDIS_HOST"], env["PARTNERBOT_REDIS_PORT"], env["PARTNERBOT_REDIS_DB"]) == ("redis.internal", "6380", "2")
