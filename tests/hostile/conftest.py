"""Fixtures of the hostile-input suite: ONE real stack for the whole session.

`hostile_stack` starts, on free loopback ports, the action server and the Rasa server with the
REST and Slack channels (bot.cli.serve.start_servers, the way `partnerbot serve` does, the Slack
Web API being the local fake of tests/slack/fake_slack.py) and the portal page server
(`python -m bot.portal`), over a temporary SQLite database with the demo data. The servers'
output goes to log files the suite reads for tracebacks at the end.

The model is bot.build.train()'s (the cached model for the current inputs; trained when none).
PARTNERBOT_HOSTILE_MODEL=path/to/model.tar.gz uses that model instead (iterating on the suite
while the training data moves on); `make test` never sets it.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest

from bot.cli.serve import free_port, wait_for

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests" / "slack"))  # fake_slack, slack_events

from hostile_corpus import JWT_SECRET  # noqa: E402
from hostile_http import demo_database  # noqa: E402

START_SECONDS = 300
REQUEST_SECONDS = 180


def wait_for_url(url: str, seconds: float, process=None) -> None:
    if not wait_for(url, seconds, [process] if process is not None else []):
        raise RuntimeError(f"{url} did not answer within {seconds:.0f}s (or its server exited)")


@pytest.fixture(scope="session")
def hostile_model_source() -> Path:
    """The model: PARTNERBOT_HOSTILE_MODEL, else bot.build.train()'s (the path tests/triage loads too,
    so the in-process triage reuses the classifier that session already loaded)."""
    source = os.environ.get("PARTNERBOT_HOSTILE_MODEL")
    if source:
        return Path(source)
    from bot.build import train

    return train()


@pytest.fixture(scope="session")
def hostile_model(hostile_model_source, tmp_path_factory) -> Path:
    """A copy of the model for the servers (other trainings may replace models/ while they run)."""
    copy = tmp_path_factory.mktemp("hostile-model") / hostile_model_source.name
    shutil.copyfile(hostile_model_source, copy)
    return copy


@pytest.fixture(scope="session")
def hostile_stack(hostile_model, tmp_path_factory):
    """Action server + Rasa server (REST and Slack channels) + portal page server, on free loopback ports."""
    from fake_slack import FakeSlack, member
    from slack_events import GUEST_USER, OUTSIDER_USER, STAFF_USER

    from bot.cli.serve import _env, start_servers, stop

    work = tmp_path_factory.mktemp("hostile-stack")
    database_url = demo_database(work / "partnerbot.db")
    slack_token, signing_secret = f"xoxb-hostile-{secrets.token_hex(8)}", secrets.token_hex(16)
    fake = FakeSlack(slack_token, {
        STAFF_USER: member(STAFF_USER),
        GUEST_USER: member(GUEST_USER, is_restricted=True),
        OUTSIDER_USER: member(OUTSIDER_USER, team_id="T0ELSEWHERE"),
    }).start()
    args = SimpleNamespace(host="127.0.0.1", port=free_port(), action_host="127.0.0.1", action_port=free_port(),
                           start_timeout=START_SECONDS, model=hostile_model)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PARTNERBOT_", "SLACK_"))}
    overrides = {
        "PARTNERBOT_DATABASE_URL": database_url,
        "PARTNERBOT_TRACKER_URL": f"sqlite:///{work / 'tracker.db'}",
        "PARTNERBOT_JWT_SECRET": JWT_SECRET,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SLACK_BOT_TOKEN": slack_token,
        "SLACK_SIGNING_SECRET": signing_secret,
        "SLACK_API_URL": fake.url,
    }
    with mock.patch.dict(os.environ, {**clean, **overrides}, clear=True):
        env = _env(args)
    env.pop("PARTNERBOT_JWT_SECRET_FILE", None)
    logs = {"servers": work / "servers.log", "portal": work / "portal.log"}
    handles = {name: path.open("wb") for name, path in logs.items()}
    args.output = handles["servers"]
    processes = []
    fake_started = True
    try:
        try:
            processes = start_servers(args, env)
        except SystemExit as exc:  # an error of every test of the suite, not the end of pytest
            raise RuntimeError(f"the assistant did not start: {exc}\n"
                               f"{logs['servers'].read_text(errors='replace')[-4000:]}") from None
        portal_port = free_port()
        portal = subprocess.Popen(
            [sys.executable, "-m", "bot.portal", "--port", str(portal_port), "--rasa-url", f"http://127.0.0.1:{args.port}"],
            cwd=ROOT, env=env, stdout=handles["portal"], stderr=subprocess.STDOUT)
        processes.append(portal)
        wait_for_url(f"http://127.0.0.1:{portal_port}/healthz", 60, portal)
        yield SimpleNamespace(
            rasa_url=f"http://127.0.0.1:{args.port}",
            portal_url=f"http://127.0.0.1:{portal_port}",
            database_url=database_url,
            signing_secret=signing_secret,
            fake=fake,
            logs=logs,
            processes=processes,
        )
    finally:
        stop(processes)
        if fake_started:
            fake.stop()
        for handle in handles.values():
            handle.close()


@pytest.fixture(scope="session")
def http():
    """One keep-alive HTTP session for every request of the suite."""
    import requests

    with requests.Session() as session:
        yield session
