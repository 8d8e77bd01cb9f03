"""Fixtures for the Slack channel tests: signed Events API requests, the fake Slack Web API, and
the real Rasa server and action server started the way `partnerbot serve` starts them.

`slack_server` (one per test session) trains the model if needed (bot.build.train), makes a
temporary SQLite database with the demo data, writes a credentials file with the REST and
Slack channels, and runs both servers on free loopback ports with SLACK_* pointing at the
fake Web API. Everything listens on 127.0.0.1 only.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from fake_slack import FakeSlack, member
from slack_events import GUEST_USER, OUTSIDER_USER, STAFF_USER, Reply, http_post, signed_headers
from bot.cli.serve import free_port, stop, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SERVER_START_SECONDS = 300


@dataclass
class SlackServer:
    """The running servers and the fake Slack, with helpers to send Slack's requests."""

    rasa_url: str
    signing_secret: str
    jwt_secret: str
    fake: FakeSlack
    database_url: str
    log_dir: Path

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/slack/webhook"

    def post_raw(self, body: bytes, headers: dict) -> Reply:
        return http_post(self.webhook, body, headers)

    def post_event(self, envelope: dict, timestamp: Optional[int] = None, secret: Optional[str] = None, **headers) -> Reply:
        body = json.dumps(envelope).encode()
        return self.post_raw(body, signed_headers(secret or self.signing_secret, body, timestamp, **headers))


def _demo_database(path: Path) -> str:
    from rules.db.migrate import upgrade
    from rules.db.session import make_engine

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    import rules.db.load as load

    if hasattr(load, "load_demo_if_empty"):
        load.load_demo_if_empty(engine)
    else:
        load.load_directory(engine, ROOT / "data" / "demo")
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def slack_server(tmp_path_factory):
    """The Rasa server (REST + Slack channels) and the action server, answering into a fake Slack."""
    from bot.build import train

    work = tmp_path_factory.mktemp("slack_server")
    model = Path(shutil.copy(train(), work / "model.tar.gz"))  # a copy: other trainings may replace models/
    token = f"xoxb-test-{secrets.token_hex(8)}"
    fake = FakeSlack(token, {
        STAFF_USER: member(STAFF_USER),
        GUEST_USER: member(GUEST_USER, is_restricted=True),
        OUTSIDER_USER: member(OUTSIDER_USER, team_id="T0ELSEWHERE"),
    }).start()
    endpoints = work / "endpoints.yml"
    credentials = work / "credentials.yml"
    credentials.write_text("bot.channels.rest.PartnerRestInput:\n"
                           "bot.channels.slack.PartnerSlackInput:\n", encoding="utf-8")
    port, action_port = free_port(), free_port()
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n", encoding="utf-8")
    signing_secret, jwt_secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PARTNERBOT_"))}
    env.update({
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SANIC_HOST": "127.0.0.1",  # the action server's interface (rasa-sdk reads it)
        "PARTNERBOT_DATABASE_URL": _demo_database(work / "partnerbot.db"),
        "PARTNERBOT_JWT_SECRET": jwt_secret,
        "PARTNERBOT_ACTION_URL": f"http://127.0.0.1:{action_port}/webhook",
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": signing_secret,
        "SLACK_API_URL": fake.url,
    })
    rasa = str(Path(sys.executable).parent / "rasa")
    logs = {name: (work / f"{name}.log").open("wb") for name in ("actions", "rasa")}
    processes = [
        subprocess.Popen([rasa, "run", "actions", "--actions", "actions", "--port", str(action_port)],
                         cwd=ROOT, env=env, stdout=logs["actions"], stderr=subprocess.STDOUT),
        subprocess.Popen([rasa, "run", "--model", str(model), "--port", str(port), "--interface", "127.0.0.1",
                          "--credentials", str(credentials), "--endpoints", str(endpoints)],
                         cwd=ROOT, env=env, stdout=logs["rasa"], stderr=subprocess.STDOUT),
    ]
    try:
        for url in (f"http://127.0.0.1:{action_port}/health", f"http://127.0.0.1:{port}/webhooks/slack/"):
            if not wait_for(url, SERVER_START_SECONDS, processes):
                tail = "\n".join((work / f"{n}.log").read_text(errors="replace")[-3000:] for n in logs)
                pytest.fail(f"a server did not start ({url}):\n{tail}")
        yield SlackServer(f"http://127.0.0.1:{port}", signing_secret, jwt_secret, fake, env["PARTNERBOT_DATABASE_URL"], work)
    finally:
        stop(processes)
        fake.stop()
        for handle in logs.values():
            handle.close()
