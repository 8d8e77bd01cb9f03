"""The scaled mode running for real, on loopback, for the production-operation tests.

`Stack.start` starts what `partnerbot serve --scaled` starts (bot.cli.serve.start_servers):
a PostgreSQL server of its own (scripts/postgres.sh, data in var/pg-ops, a free port) for the
rules and the conversations, a Redis server of its own (scripts/redis.sh, var/redis-ops) for
the lock store, the action server, two Rasa replicas of one model and the front door, each on
a free 127.0.0.1 port. Tests stop and start its pieces to play faults; the servers' output goes
to one log file per session. The model is bot.build.train()'s (it trains only when the inputs
changed), or PARTNERBOT_OPS_MODEL; a copy is used, so a training elsewhere cannot remove it.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bot.cli.serve import free_port

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = float(os.environ.get("PARTNERBOT_OPS_START_TIMEOUT", 600))  # a loaded 2-core machine is slow
REQUEST_TIMEOUT = 90.0
PARTNER = "P-1001"  # a partner of data/demo


def new_sender(prefix: str = "ops") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def texts(messages: list) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def channel_text(code: str, lang: str) -> str:
    from bot.channels.rest import channel_message

    return channel_message(code, lang)


@dataclass
class Conversation:
    """What the tracker store holds for one sender: its events, the slots and the active form they leave."""

    events: list
    slots: dict = field(default_factory=dict)
    active_loop: str | None = None

    @classmethod
    def of(cls, events: list) -> "Conversation":
        state = cls(events)
        for event in events:
            if event.get("event") == "slot":
                state.slots[event["name"]] = event.get("value")
            elif event.get("event") == "active_loop":
                state.active_loop = event.get("name")
        return state

    def user_texts(self) -> list:
        return [e.get("text") for e in self.events if e.get("event") == "user"]

    def bot_texts(self) -> list:
        return [e.get("text") for e in self.events if e.get("event") == "bot"]


class Stack:
    """The running scaled mode, with the handles the fault tests need."""

    def __init__(self, model: Path, logs: Path):
        self.model = model
        self.log_path = logs / "servers.log"
        self.log = self.log_path.open("a", buffering=1)
        self.secret = secrets.token_urlsafe(48)
        self.api_token = secrets.token_urlsafe(32)
        self.pg_env = {**os.environ, "PARTNERBOT_PG_DIR": str(ROOT / "var" / "pg-ops"),
                       "PARTNERBOT_PG_PORT": str(free_port()), "PARTNERBOT_PG_DB": "partnerbot_ops"}
        self.redis_env = {**os.environ, "PARTNERBOT_REDIS_DIR": str(ROOT / "var" / "redis-ops"),
                          "PARTNERBOT_REDIS_PORT": str(free_port())}
        self.args = argparse.Namespace(host=HOST, port=free_port(), action_host=HOST, action_port=free_port(),
                                       start_timeout=START_TIMEOUT, scaled=True, replicas=2,
                                       replica_ports=f"{free_port()},{free_port()}", model=str(model),
                                       enable_api=True, output=self.log)
        self.servers = None
        self.env = None
        self._engine = None

    # --- the services -----------------------------------------------------------------------

    def script(self, name: str, action: str) -> str:
        env = self.pg_env if name == "postgres.sh" else self.redis_env
        done = subprocess.run([str(ROOT / "scripts" / name), action], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=self.log, text=True, timeout=300)
        assert done.returncode == 0, f"scripts/{name} {action} failed"
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def start(self) -> None:
        from unittest import mock

        from bot.cli.serve import _database, _env, start_servers

        for name in ("postgres.sh", "redis.sh"):  # one left by an interrupted run may be on another port
            self.script(name, "stop")
        database = self.script("postgres.sh", "start")
        redis = self.script("redis.sh", "start")
        overrides = {"PARTNERBOT_DATABASE_URL": database, "PARTNERBOT_REDIS_URL": redis,
                     "PARTNERBOT_JWT_SECRET": self.secret, "PARTNERBOT_API_TOKEN": self.api_token,
                     "RASA_TELEMETRY_ENABLED": "false"}
        with mock.patch.dict(os.environ, overrides):
            self.env = _env(self.args)
        self.env.pop("PARTNERBOT_JWT_SECRET_FILE", None)
        _database(self.env)
        self.servers = start_servers(self.args, self.env)

    def close(self) -> None:
        from bot.cli.serve import stop

        if self.servers is not None:
            stop(self.servers)
        if self._engine is not None:
            self._engine.dispose()
        for name in ("postgres.sh", "redis.sh"):
            self.script(name, "stop")
        self.log.close()

    @property
    def replica_ports(self) -> list:
        return self.servers.replica_ports

    @property
    def front_port(self) -> int:
        return self.args.port

    # --- talking to it ----------------------------------------------------------------------

    def token(self, subject: str = PARTNER, role: str = "partner") -> str:
        from bot.identity import issue_token

        return issue_token(subject, role, key=self.secret)

    def send(self, port: int, sender: str, text: str, token: str | None = None, timeout: float = REQUEST_TIMEOUT) -> list:
        """One message to the REST channel on 127.0.0.1:port; the bot's messages."""
        body = {"sender": sender, "message": text}
        if token:
            body["metadata"] = {"token": token}
        request = urllib.request.Request(f"http://{HOST}:{port}/webhooks/rest/webhook", method="POST",
                                         data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.load(answer)

    def engine(self):
        from sqlalchemy import create_engine

        if self._engine is None:
            self._engine = create_engine(self.env["PARTNERBOT_TRACKER_URL"], future=True, pool_pre_ping=True)
        return self._engine

    def conversation(self, sender: str) -> Conversation:
        """The sender's conversation as the tracker store holds it (Rasa's `events` table)."""
        from sqlalchemy import text

        with self.engine().connect() as conn:
            rows = conn.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
            return Conversation.of([json.loads(row[0]) for row in rows])

    def lock_tickets(self, sender: str) -> set:
        """The tickets Rasa's Redis lock store holds for the conversation: (number, expiry) pairs."""
        import redis

        if getattr(self, "_redis", None) is None:
            self._redis = redis.Redis(host=self.env["PARTNERBOT_REDIS_HOST"], port=int(self.env["PARTNERBOT_REDIS_PORT"]),
                                      db=int(self.env["PARTNERBOT_REDIS_DB"]), socket_timeout=5)
        raw = self._redis.get(f"partnerbot:lock:{sender}")
        if not raw:
            return set()
        return {(t["number"], t["expires"]) for t in map(json.loads, json.loads(raw).get("tickets", []))}

    def logs_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    # --- faults -------------------------------------------------------------------------------

    def wait_up(self, url: str, process, seconds: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert process.poll() is None, f"the server for {url} ended (exit {process.returncode}); see {self.log_path}"
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.3)
        raise AssertionError(f"{url} did not answer in {seconds:.0f} s")

    def kill(self, process) -> None:
        process.kill()
        process.wait(timeout=30)

    def restart_actions(self) -> None:
        from bot.cli.serve import start_action_server

        old = self.servers.actions
        self.servers.actions = start_action_server(self.args, self.env, self.log)
        self.servers[self.servers.index(old)] = self.servers.actions
        self.wait_up(f"http://{HOST}:{self.args.action_port}/health", self.servers.actions, 120)

    def restart_replica(self, index: int) -> None:
        from bot.cli.serve import ENDPOINTS_SCALED, start_rasa_server

        old = self.servers.replicas[index]
        if old.poll() is None:
            self.kill(old)
        port = self.servers.replica_ports[index]
        new = start_rasa_server(self.model, HOST, port, self.env, ENDPOINTS_SCALED, self.args.enable_api, self.log)
        self.servers.replicas[index] = new
        self.servers[self.servers.index(old)] = new
        self.wait_up(f"http://{HOST}:{port}/webhooks/rest/", new)
