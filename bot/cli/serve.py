"""`partnerbot serve`, `partnerbot train`, `partnerbot nlp build`: the running assistant (contract §0).

serve: trains when no model matches the current inputs, loads demo data into an empty
database, then runs the action server (5055), the Rasa server with the REST channel (5005)
and the portal page (8080) until Ctrl-C stops all of them.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
    return env


def _wait_for(url: str, seconds: float, processes) -> bool:
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


def start_servers(args, env: dict) -> list:
    """Start the action server and the Rasa server; return their processes once both answer."""
    from bot.build import train

    model = train()
    bin_dir = Path(sys.executable).parent
    rasa = str(bin_dir / "rasa")
    actions = subprocess.Popen(  # rasa_sdk reads its address from SANIC_HOST
        [rasa, "run", "actions", "--actions", "actions", "--port", str(args.action_port)],
        cwd=ROOT, env={**env, "SANIC_HOST": args.action_host},
    )
    server = subprocess.Popen(
        [rasa, "run", "--model", str(model), "--port", str(args.port), "--interface", args.host,
         "--credentials", str(ROOT / "credentials.yml"), "--endpoints", str(ROOT / "endpoints.yml"), "--cors", "*"],
        cwd=ROOT, env=env,
    )
    processes = [actions, server]
    for url in (f"http://{args.action_host}:{args.action_port}/health", f"http://{args.host}:{args.port}/webhooks/rest/"):
        if not _wait_for(url, args.start_timeout, processes):
            stop(processes)
            raise SystemExit(f"partnerbot: a server did not start ({url})")
    return processes


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


def serve(args) -> int:
    from bot.cli.common import engine

    eng = engine()
    from rules.db.load import load_demo_if_empty

    load_demo_if_empty(eng)
    env = _env(args)
    processes = start_servers(args, env)
    if getattr(args, "widget_port", None):
        try:
            processes.append(subprocess.Popen([sys.executable, "-m", "bot.portal", "--port", str(args.widget_port),
                                               "--rasa-url", f"http://localhost:{args.port}"], cwd=ROOT, env=env))
        except OSError:
            pass
    print(f"partnerbot: REST channel on http://{args.host}:{args.port}/webhooks/rest/webhook, actions on {args.action_port}; Ctrl-C stops.")
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stop(processes)
    return 0


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
    parser.add_argument("--host", default=os.environ.get("PARTNERBOT_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PARTNERBOT_PORT", 5005)))
    parser.add_argument("--action-host", default=os.environ.get("PARTNERBOT_ACTION_HOST", "127.0.0.1"))
    parser.add_argument("--action-port", type=int, default=int(os.environ.get("PARTNERBOT_ACTION_PORT", 5055)))
    parser.add_argument("--widget-port", type=int, default=int(os.environ.get("PARTNERBOT_WIDGET_PORT", 8080)))
    parser.add_argument("--start-timeout", type=float, default=180)


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
