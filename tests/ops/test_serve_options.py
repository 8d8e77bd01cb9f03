"""`partnerbot serve`'s safe defaults and its keeping the servers running (no real server is started here)."""
from __future__ import annotations

import signal
import subprocess
import time
from types import SimpleNamespace
from unittest import mock

import pytest

import bot.cli.serve as serve
from bot.cli import build_parser, main


@pytest.fixture
def no_server_env(monkeypatch):
    for name in ("PARTNERBOT_HOST", "PARTNERBOT_ACTION_HOST", "PARTNERBOT_API_TOKEN", "PARTNERBOT_DATABASE_URL",
                 "PARTNERBOT_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(serve, "start_servers", lambda *a: pytest.fail("no server may start"))
    monkeypatch.setattr(serve, "run_script", lambda *a: pytest.fail("no service may start"))
    handler = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, handler)


def test_everything_listens_on_localhost_by_default(no_server_env):
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.action_host) == ("127.0.0.1", "127.0.0.1")
    assert not args.enable_api and not args.scaled and args.replicas == 2


def test_the_http_api_needs_a_token_from_the_environment(no_server_env, capsys):
    assert main(["serve", "--enable-api"]) == 2
    assert "PARTNERBOT_API_TOKEN" in capsys.readouterr().err


def test_the_scaled_mode_refuses_an_sqlite_database(no_server_env, monkeypatch, capsys):
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", "sqlite:///var/partnerbot.db")
    assert main(["serve", "--scaled"]) == 2
    assert "PostgreSQL" in capsys.readouterr().err


def test_the_api_token_is_handed_over_in_the_environment_never_on_the_command_line(monkeypatch):
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda command, **kw: started.append((command, kw)))
    env = {"PARTNERBOT_API_TOKEN": "s3cret-token-value"}
    serve.start_rasa_server("model.tar.gz", "127.0.0.1", 5005, env, enable_api=True)
    serve.start_rasa_server("model.tar.gz", "127.0.0.1", 5006, {})
    (with_api, kw), (without, _) = started
    assert "--enable-api" in with_api and not any("s3cret" in part for part in with_api)
    assert kw["env"]["PARTNERBOT_API_TOKEN"] == "s3cret-token-value"
    assert "--enable-api" not in without and "--auth-token" not in without
    with pytest.raises(serve.ServeError):
        serve.start_rasa_server("model.tar.gz", "127.0.0.1", 5005, {}, enable_api=True)


def test_the_replica_ports(no_server_env):
    args = SimpleNamespace(port=5005, replicas=3, replica_ports=None)
    assert serve.replica_ports(args) == [5006, 5007, 5008]
    assert serve.replica_ports(SimpleNamespace(port=5005, replicas=2, replica_ports="6001,6002")) == [6001, 6002]
    for bad in ("6001", "6001,6001", "5005,6001"):
        with pytest.raises(serve.ServeError):
            serve.replica_ports(SimpleNamespace(port=5005, replicas=2, replica_ports=bad))


def sleeper() -> subprocess.Popen:
    return subprocess.Popen(["sleep", "60"])


def quitter() -> subprocess.Popen:
    return subprocess.Popen(["true"])


def ticks(count: int):
    """time.sleep for _supervise: a quick pause, then Ctrl-C after `count` rounds."""
    calls = iter(range(count))

    def sleep(_seconds):
        if next(calls, None) is None:
            raise KeyboardInterrupt
        time.sleep(0.3)

    return sleep


def test_a_server_that_stops_is_started_again(monkeypatch):
    actions, replica = sleeper(), sleeper()
    servers = serve.Servers(actions, [replica], replica_ports=[5006], model="m")
    replacement = sleeper()
    monkeypatch.setattr(serve, "start_action_server", lambda args, env: replacement)
    pause = ticks(3)
    actions.kill()
    actions.wait()
    try:
        with pytest.raises(KeyboardInterrupt):
            serve._supervise(servers, SimpleNamespace(), {}, pause=pause)
        assert servers.actions is replacement and servers[0] is replacement and replacement.poll() is None
    finally:
        serve.stop(servers)


def test_a_server_that_keeps_stopping_stops_everything(monkeypatch):
    actions, replica = quitter(), sleeper()
    servers = serve.Servers(actions, [replica], replica_ports=[5006], model="m")
    monkeypatch.setattr(serve, "start_action_server", lambda args, env: quitter())
    pause = ticks(200)
    try:
        assert serve._supervise(servers, SimpleNamespace(), {}, pause=pause) == 1
    finally:
        serve.stop(servers)


def test_the_portal_page_stopping_leaves_the_assistant_running(monkeypatch):
    actions, replica, portal = sleeper(), sleeper(), quitter()
    servers = serve.Servers(actions, [replica], replica_ports=[5006], model="m")
    servers.append(portal)
    pause = ticks(4)
    with mock.patch.object(serve, "start_action_server") as restart:
        try:
            with pytest.raises(KeyboardInterrupt):
                serve._supervise(servers, SimpleNamespace(), {}, pause=pause)
            assert not restart.called and actions.poll() is None and replica.poll() is None
        finally:
            serve.stop(servers)
