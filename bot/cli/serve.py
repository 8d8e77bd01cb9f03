"""`partnerbot serve`, `partnerbot train`, `partnerbot nlp build`: the running assistant (contract §0).

serve: trains when no model matches the current inputs, loads demo data into an empty
database, then runs the action server (5055), the Rasa server with the REST channel (5005)
and the portal page (8080) until Ctrl-C stops all of them. Conversations are kept in Rasa's
SQL tracker store (an SQLite file next to the rules database, var/tracker.db, by default),
so a restart loses nothing.

serve --scaled: PostgreSQL for the rules data and the conversations, Redis for Rasa's lock
store, two or more Rasa replicas behind a round-robin front door on the REST port, and the
action server; scripts/postgres.sh and scripts/redis.sh install and start both on loopback
unless PARTNERBOT_DATABASE_URL / PARTNERBOT_REDIS_URL name running ones.

Everything listens on 127.0.0.1 unless told otherwise; Rasa's HTTP API is off unless
--enable-api, which needs PARTNERBOT_API_TOKEN; secrets come from the environment only.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
ENDPOINTS = ROOT / "endpoints.yml"
ENDPOINTS_SCALED = ROOT / "endpoints-scaled.yml"
CREDENTIALS = ROOT / "credentials.yml"
LOOPBACK = "127.0.0.1"

# Runs `rasa` with the API token taken from the environment, so that it never shows in `ps`.
_RASA_WITH_API_TOKEN = (
    "import os, sys; from rasa.__main__ import main; "
    "sys.argv = ['rasa', *sys.argv[1:], '--auth-token', os.environ['PARTNERBOT_API_TOKEN']]; sys.exit(main())"
)


class ServeError(Exception):
    """The assistant could not be set up or started (one clear line, exit 2)."""


# --------------------------------------------------------------------------- environment


def default_tracker_url(database_url: str | None) -> str:
    """Where conversations go when PARTNERBOT_TRACKER_URL is unset: next to the rules data.

    The same database when it is a server (PostgreSQL: Rasa's `events` table beside the rules
    tables); for an SQLite file, `tracker.db` in the same folder (var/tracker.db by default).
    """
    from rules.db.session import default_url

    url = database_url or default_url()
    if not url.startswith("sqlite"):
        return url
    path = url.split("///", 1)[1] if "///" in url else ""
    if not path or path.startswith(":memory:"):
        path = default_url().split("///", 1)[1]
    folder = Path(path).resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'tracker.db'}"


def redis_endpoint_env(url: str) -> dict:
    """The lock store's settings of endpoints-scaled.yml from one redis://[:PASSWORD@]HOST:PORT/DB URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ServeError(f"PARTNERBOT_REDIS_URL is not a redis:// URL")
    db = (parts.path or "/0").lstrip("/") or "0"
    return {
        "PARTNERBOT_REDIS_HOST": parts.hostname,
        "PARTNERBOT_REDIS_PORT": str(parts.port or 6379),
        "PARTNERBOT_REDIS_DB": db,
        "PARTNERBOT_REDIS_PASSWORD": unquote(parts.password or "") or os.environ.get("PARTNERBOT_REDIS_PASSWORD", ""),
    }


def redacted(url: str) -> str:
    """A database URL fit for a log line (no password)."""
    try:
        from sqlalchemy.engine import make_url

        return repr(make_url(url))
    except Exception:  # noqa: BLE001
        return url.split("@")[-1]


def run_script(name: str, env: dict) -> str:
    """`scripts/NAME start` (installs and starts a local service); the URL it prints."""
    result = subprocess.run([str(SCRIPTS / name), "start"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise ServeError(f"scripts/{name} start failed (exit {result.returncode})")
    return lines[-1].strip()


def store_env(env: dict) -> dict:
    """`env` with the tracker store's URL filled in when the caller did not choose one."""
    env = dict(env)
    if not env.get("PARTNERBOT_TRACKER_URL"):
        env["PARTNERBOT_TRACKER_URL"] = default_tracker_url(env.get("PARTNERBOT_DATABASE_URL"))
    return env


def scaled_env(env: dict) -> dict:
    """`env` for the scaled mode: PostgreSQL (started locally unless given) and Redis (likewise)."""
    env = dict(env)
    database = env.get("PARTNERBOT_DATABASE_URL", "")
    if database.startswith("sqlite"):
        raise ServeError("the scaled mode keeps rules and conversations in PostgreSQL: "
                         "unset PARTNERBOT_DATABASE_URL (a local one is started) or give a postgresql:// URL")
    if not database:
        database = run_script("postgres.sh", {**env, "PARTNERBOT_PG_DB": env.get("PARTNERBOT_PG_DB", "partnerbot")})
        env["PARTNERBOT_DATABASE_URL"] = database
    env.setdefault("PARTNERBOT_TRACKER_URL", database)
    if env["PARTNERBOT_TRACKER_URL"].startswith("sqlite"):
        raise ServeError("the scaled mode needs a shared tracker store: PARTNERBOT_TRACKER_URL must not be SQLite")
    redis_url = env.get("PARTNERBOT_REDIS_URL") or run_script("redis.sh", env)
    env["PARTNERBOT_REDIS_URL"] = redis_url
    env.update(redis_endpoint_env(redis_url))
    return env


def _env(args) -> dict:
    from bot.build import VAR

    env = dict(os.environ)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PARTNERBOT_ACTION_URL"] = f"http://{args.action_host}:{args.action_port}/webhook"
    if not env.get("PARTNERBOT_JWT_SECRET"):
        secret_file = VAR / "jwt_secret"
        if not secret_file.exists():
            secret_file.parent.mkdir(parents=True, exist_ok=True)
            secret_file.write_text(secrets.token_urlsafe(48))
            secret_file.chmod(0o600)
        env["PARTNERBOT_JWT_SECRET_FILE"] = str(secret_file)
    if getattr(args, "enable_api", False) and not env.get("PARTNERBOT_API_TOKEN"):
        raise ServeError("--enable-api needs a token: set PARTNERBOT_API_TOKEN (a long random string)")
    if getattr(args, "scaled", False):
        env = scaled_env(env)
    return store_env(env)


# --------------------------------------------------------------------------- processes


class Servers(list):
    """The started processes (a list, so `stop` takes it), with the roles tests and benches restart."""

    def __init__(self, actions, replicas, front=None, replica_ports=(), model=None):
        super().__init__([actions, *replicas] + ([front] if front is not None else []))
        self.actions = actions
        self.replicas = list(replicas)
        self.front = front
        self.replica_ports = list(replica_ports)
        self.model = model


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on `host` right now (for servers started on any free port: tests, benches)."""
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float, processes=()) -> bool:
    """True once `url` answers; False when `seconds` pass first or one of `processes` has ended."""
    import urllib.request

    deadline = time.time() + seconds
    while time.time() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def wait_until_up(checks, seconds: float, processes) -> None:
    """Wait until every (url) answers; stop all and fail when one does not in time or a process ends."""
    for url in checks:
        if not wait_for(url, seconds, processes):
            stop(processes)
            raise SystemExit(f"partnerbot: a server did not start ({url})")


def _sanic_timeouts(env: dict) -> dict:
    """`env` with Sanic's timeouts for a server of ours: a turn that waits its turn under load is
    neither cut off after Sanic's default 60 s (Rasa without its HTTP API keeps that default) nor
    refused while a busy client is still writing its request."""
    return {"SANIC_RESPONSE_TIMEOUT": "3600", "SANIC_REQUEST_TIMEOUT": "300", **env}


def _output(output) -> dict:
    """Popen's arguments sending a child's stdout and stderr to `output` (an open file), or inherited."""
    return {} if output is None else {"stdout": output, "stderr": subprocess.STDOUT}


def start_action_server(args, env: dict, output=None) -> subprocess.Popen:
    """The action server on args.action_host:args.action_port (rasa_sdk reads its address from SANIC_HOST)."""
    rasa = str(Path(sys.executable).parent / "rasa")
    return subprocess.Popen([rasa, "run", "actions", "--actions", "actions", "--port", str(args.action_port)],
                            cwd=ROOT, env={**_sanic_timeouts(env), "SANIC_HOST": args.action_host}, **_output(output))


def start_rasa_server(model, host: str, port: int, env: dict, endpoints: Path = ENDPOINTS,
                      enable_api: bool = False, output=None) -> subprocess.Popen:
    """One Rasa server with the channels of credentials.yml; the HTTP API only when asked (token from env)."""
    argv = ["run", "--model", str(model), "--port", str(port), "--interface", host,
            "--credentials", str(CREDENTIALS), "--endpoints", str(endpoints), "--cors", "*"]
    if enable_api:
        if not env.get("PARTNERBOT_API_TOKEN"):
            raise ServeError("--enable-api needs a token: set PARTNERBOT_API_TOKEN")
        command = [sys.executable, "-c", _RASA_WITH_API_TOKEN, *argv, "--enable-api"]
    else:
        command = [str(Path(sys.executable).parent / "rasa"), *argv]
    return subprocess.Popen(command, cwd=ROOT, env=_sanic_timeouts(env), **_output(output))


def start_front_door(host: str, port: int, replica_ports, env: dict, output=None) -> subprocess.Popen:
    """bot.balancer on host:port, spreading requests over the replicas (on loopback)."""
    upstreams = [a for p in replica_ports for a in ("--upstream", f"http://{LOOPBACK}:{p}")]
    return subprocess.Popen([sys.executable, "-m", "bot.balancer", "--host", host, "--port", str(port), *upstreams],
                            cwd=ROOT, env=env, **_output(output))


def rest_url(host: str, port: int) -> str:
    return f"http://{LOOPBACK if host in ('0.0.0.0', '::', '') else host}:{port}/webhooks/rest/"


def start_servers(args, env: dict) -> list:
    """Start the action server and the Rasa server; return their processes once both answer.

    With args.scaled: the action server, args.replicas Rasa replicas (endpoints-scaled.yml) on
    args.replica_ports and the front door on args.port. `env` must then come from `_env` (or
    `scaled_env`). Optional args.model (a model file: no training) and args.output (an open
    file for the children's output). Returns a `Servers` list either way.
    """
    from bot.build import train

    env = store_env(env)
    env["PARTNERBOT_ACTION_URL"] = f"http://{args.action_host}:{args.action_port}/webhook"  # the one started here
    enable_api = getattr(args, "enable_api", False)
    if enable_api and not env.get("PARTNERBOT_API_TOKEN"):
        raise ServeError("--enable-api needs a token: set PARTNERBOT_API_TOKEN")
    scaled = getattr(args, "scaled", False)
    ports = replica_ports(args) if scaled else [args.port]  # bad ports fail before anything starts
    model = getattr(args, "model", None) or train()
    output = getattr(args, "output", None)
    actions = start_action_server(args, env, output)
    if scaled:
        replicas = [start_rasa_server(model, LOOPBACK, p, env, ENDPOINTS_SCALED, enable_api, output) for p in ports]
        servers = Servers(actions, replicas, replica_ports=ports, model=model)
        wait_until_up([f"http://{args.action_host}:{args.action_port}/health"]
                      + [rest_url(LOOPBACK, p) for p in ports], args.start_timeout, servers)
        servers.front = start_front_door(args.host, args.port, ports, env, output)
        servers.append(servers.front)
        wait_until_up([rest_url(args.host, args.port)], 30, servers)
        return servers
    server = start_rasa_server(model, args.host, args.port, env, ENDPOINTS, enable_api, output)
    servers = Servers(actions, [server], replica_ports=[args.port], model=model)
    wait_until_up([f"http://{args.action_host}:{args.action_port}/health", rest_url(args.host, args.port)],
                  args.start_timeout, servers)
    return servers


def replica_ports(args) -> list:
    given = getattr(args, "replica_ports", None)
    if given:
        ports = [int(p) for p in str(given).split(",") if p.strip()]
    else:
        ports = [args.port + 1 + i for i in range(max(2, getattr(args, "replicas", 2)))]
    if len(ports) < 2 or len(set(ports)) != len(ports) or args.port in ports:
        raise ServeError("the scaled mode needs two or more distinct replica ports, other than --port")
    return ports


def stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.time() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            process.kill()


# --------------------------------------------------------------------------- the command


def _database(env: dict):
    """The rules database of `env`, at the current schema, with the demo data when it is empty."""
    from rules.db.load import load_demo_if_empty
    from rules.db.migrate import ensure_current
    from rules.db.session import get_engine

    engine = get_engine(env.get("PARTNERBOT_DATABASE_URL") or None)
    ensure_current(engine)
    load_demo_if_empty(engine)
    return engine


def _supervise(servers: Servers, args, env: dict, restarts_per_minute: int = 3, pause=time.sleep) -> int:
    """Until Ctrl-C: a server that ends is started again (at most a few times a minute, else all stop: exit 1).

    The portal page is not restarted: the assistant goes on without it.
    """
    history: dict = {}
    given_up: set = set()
    while True:
        pause(1)
        for index, process in enumerate(list(servers)):
            if index in given_up or process.poll() is None:
                continue
            now = time.time()
            recent = [t for t in history.get(index, []) if now - t < 60] + [now]
            history[index] = recent
            if len(recent) > restarts_per_minute:
                print(f"partnerbot: a server keeps stopping (exit {process.returncode}); stopping all.", file=sys.stderr)
                return 1
            replacement = _restart(servers, process, args, env)
            if replacement is None:
                given_up.add(index)
                print(f"partnerbot: the portal page stopped (exit {process.returncode}).", file=sys.stderr)
                continue
            print(f"partnerbot: a server stopped (exit {process.returncode}); started it again.", file=sys.stderr)
            servers[index] = replacement


def _restart(servers: Servers, process, args, env: dict):
    if process is servers.actions:
        servers.actions = start_action_server(args, env)
        return servers.actions
    if process in servers.replicas:
        i = servers.replicas.index(process)
        scaled = getattr(args, "scaled", False)
        host = LOOPBACK if scaled else args.host
        servers.replicas[i] = start_rasa_server(servers.model, host, servers.replica_ports[i], env,
                                                ENDPOINTS_SCALED if scaled else ENDPOINTS,
                                                getattr(args, "enable_api", False))
        return servers.replicas[i]
    if process is servers.front:
        servers.front = start_front_door(args.host, args.port, servers.replica_ports, env)
        return servers.front
    return None  # the portal page: not essential, let it be


def serve(args) -> int:
    from bot.cli import UsageError

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill PID` stops the children too
    try:
        env = _env(args)
        _database(env)
        servers = start_servers(args, env)
    except ServeError as exc:
        raise UsageError(str(exc)) from None
    if getattr(args, "widget_port", None):
        try:
            servers.append(subprocess.Popen([sys.executable, "-m", "bot.portal", "--port", str(args.widget_port),
                                             "--rasa-url", f"http://localhost:{args.port}"], cwd=ROOT, env=env))
        except OSError:
            pass
    print(f"partnerbot: REST channel on http://{args.host}:{args.port}/webhooks/rest/webhook, actions on {args.action_port}; Ctrl-C stops.")
    if getattr(args, "scaled", False):
        print(f"partnerbot (scaled): front door {args.host}:{args.port} -> Rasa replicas on {LOOPBACK}:"
              f"{','.join(map(str, servers.replica_ports))}; rules and conversations in "
              f"{redacted(env['PARTNERBOT_DATABASE_URL'])}; lock store redis://{env['PARTNERBOT_REDIS_HOST']}:"
              f"{env['PARTNERBOT_REDIS_PORT']}/{env['PARTNERBOT_REDIS_DB']}. "
              "PostgreSQL and Redis keep running after Ctrl-C (scripts/postgres.sh stop, scripts/redis.sh stop).")
    code = 0
    try:
        code = _supervise(servers, args, env)
    except KeyboardInterrupt:
        pass
    finally:
        stop(servers)
    return code


def train_command(args) -> int:
    from bot.build import build_domain, train

    print(build_domain() if args.domain_only else train(force=args.force))
    return 0


def nlp_build(args) -> int:
    from bot.build import VAR
    from bot.nlu.spacy_pipelines import build

    build(VAR / "spacy")
    print(VAR / "spacy")
    return 0


def add_server_options(parser) -> None:
    parser.add_argument("--host", default=os.environ.get("PARTNERBOT_HOST", LOOPBACK),
                        help="address of the REST channel (default 127.0.0.1; 0.0.0.0 exposes it)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PARTNERBOT_PORT", 5005)))
    parser.add_argument("--action-host", default=os.environ.get("PARTNERBOT_ACTION_HOST", LOOPBACK))
    parser.add_argument("--action-port", type=int, default=int(os.environ.get("PARTNERBOT_ACTION_PORT", 5055)))
    parser.add_argument("--widget-port", type=int, default=int(os.environ.get("PARTNERBOT_WIDGET_PORT", 8080)))
    parser.add_argument("--start-timeout", type=float, default=180)
    parser.add_argument("--enable-api", action="store_true",
                        help="Rasa's HTTP API (conversations, model), protected by PARTNERBOT_API_TOKEN (required)")
    parser.add_argument("--scaled", action="store_true",
                        help="PostgreSQL + Redis lock store + several Rasa replicas behind the REST port")
    parser.add_argument("--replicas", type=int, default=int(os.environ.get("PARTNERBOT_REPLICAS", 2)),
                        help="Rasa replicas in the scaled mode (at least 2; ports PORT+1…)")
    parser.add_argument("--replica-ports", default=os.environ.get("PARTNERBOT_REPLICA_PORTS"),
                        help="the replicas' ports, comma separated (default PORT+1, PORT+2, …)")


def register(sub) -> None:
    parser = sub.add_parser("serve", help="run the assistant (Rasa server, action server, portal page)")
    add_server_options(parser)
    parser.set_defaults(func=serve)
    parser = sub.add_parser("train", help="train the Rasa model unless one matches the current data and config")
    parser.add_argument("--force", action="store_true", help="train even when a model matches")
    parser.add_argument("--domain-only", action="store_true", help="only assemble the domain (var/build/domain/)")
    parser.set_defaults(func=train_command)
    nlp = sub.add_parser("nlp", help="spaCy pipelines")
    nlp_sub = nlp.add_subparsers(dest="nlp_command", required=True)
    build = nlp_sub.add_parser("build", help="build the blank pt/en pipelines into var/spacy")
    build.set_defaults(func=nlp_build)
