"""Load: 200 concurrent conversations of 20 turns on the scaled mode, and nothing lost.

Starts the scaled mode the way `partnerbot serve --scaled` does (bot.cli.serve): PostgreSQL and
Redis from scripts/postgres.sh and scripts/redis.sh on loopback (database `partnerbot_bench`,
demo data), the action server, two Rasa replicas of one model and the front door, each on a
free 127.0.0.1 port. Then all conversations run at once, each a signed-in demo partner sending
its 20 turns one after the other through the front door: FAQ questions, lead checks (by
message and through the form) and commission estimates (in one message and through the
form), in pt or en. Prints the throughput, the turn latency percentiles (all turns and by
kind), the servers' CPU time per turn, the errors (HTTP errors, timeouts, empty answers,
"temporarily unavailable"), and compares the tracker store with what was sent and answered:
per conversation, every user message in order and every bot message. Exits 1 on any error or
difference. Only 127.0.0.1 is contacted; turns, conversations and time are bounded.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import secrets
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench import ROOT, VAR_BENCH, Figure, format_seconds, table
from bench.chat_bench import cpu_seconds

HOST = "127.0.0.1"
CONVERSATIONS = 200
TURNS = 20
MAX_CONVERSATIONS = 2000
MAX_TURNS = 100
TURN_TIMEOUT = 300.0  # seconds for one turn under full load
DEADLINE = 3600.0  # seconds for the whole load
DEMO_DIR = ROOT / "data" / "demo"

# One conversation: (kind, text); {known} and {other} are demo accounts' domains, {new} a domain nobody has.
SCRIPTS = {
    "pt": [
        ("conversation", "olá"),
        ("faq", "o que é o programa de parceiros de soluções?"),
        ("lead", "o domínio {known} está disponível para registro?"),
        ("lead", "por quê?"),
        ("conversation", "não, obrigado"),
        ("faq", "quanto tempo vale o registro de um lead?"),
        ("commission", "calcula a comissão de um cliente com Sales Hub Starter de US$ 50/mês desde janeiro de 2019"),
        ("commission", "12"),
        ("lead", "quero verificar um lead"),
        ("lead", "{new}"),
        ("lead", "não"),
        ("commission", "quero simular uma comissão"),
        ("commission", "Marketing Hub Professional"),
        ("commission", "800 dólares por mês"),
        ("commission", "março de 2024"),
        ("faq", "como funciona o pagamento das comissões?"),
        ("lead", "o domínio {other} está livre?"),
        ("lead", "não"),
        ("faq", "qual a diferença entre os pacotes?"),
        ("conversation", "obrigado, tchau"),
    ],
    "en": [
        ("conversation", "hi"),
        ("faq", "what is the solutions partner program?"),
        ("lead", "is {known} available as a lead?"),
        ("lead", "why?"),
        ("conversation", "no thanks"),
        ("faq", "how long does a lead registration last?"),
        ("commission", "estimate my commission for a customer on Sales Hub Starter at US$ 50/month since January 2019"),
        ("commission", "12"),
        ("lead", "I want to check a lead"),
        ("lead", "{new}"),
        ("lead", "no"),
        ("commission", "I want to estimate a commission"),
        ("commission", "Marketing Hub Professional"),
        ("commission", "800 dollars a month"),
        ("commission", "March 2024"),
        ("faq", "how are commissions paid?"),
        ("lead", "is {other} free?"),
        ("lead", "no"),
        ("faq", "what is the difference between the packages?"),
        ("conversation", "thanks, bye"),
    ],
}


@dataclass
class Conversation:
    sender: str
    language: str
    token: str
    turns: list  # (kind, text)
    sent: list = field(default_factory=list)  # texts sent and answered with 200
    received: list = field(default_factory=list)  # the bot's message texts, in order
    seconds: list = field(default_factory=list)  # (kind, seconds) per turn
    errors: list = field(default_factory=list)  # (turn index, what)


def demo_data() -> tuple[list, list]:
    """The demo partners' ids and the demo accounts' domains (as people type them: no IDNA form)."""
    from rules.domains import normalise_domain

    with (DEMO_DIR / "partners.csv").open(encoding="utf-8") as handle:
        partners = [row["partner_id"] for row in csv.DictReader(handle)]
    with (DEMO_DIR / "accounts.csv").open(encoding="utf-8") as handle:
        domains = [normalise_domain(row["domain"]) for row in csv.DictReader(handle)]
    return partners, [d for d in domains if "xn--" not in d]


def conversations(count: int, turns: int, run_id: str, secret: str) -> list:
    from bot.identity import issue_token

    partners, domains = demo_data()
    out = []
    for index in range(count):
        language = ("pt", "en")[index % 2]
        script = SCRIPTS[language]
        values = {"known": domains[index % len(domains)], "other": domains[(index * 7 + 3) % len(domains)],
                  "new": f"load-{run_id}-{index}.com.br"}
        chosen = [(kind, text.format(**values)) for kind, text in (script * (turns // len(script) + 1))[:turns]]
        out.append(Conversation(f"load-{run_id}-{index:04d}", language,
                                issue_token(partners[index % len(partners)], "partner", key=secret), chosen))
    return out


# ---------------------------------------------------------------------------- the load


async def talk(session, url: str, conversation: Conversation, unavailable: set, deadline: float) -> None:
    """The conversation's turns one after the other, each timed; an error ends nothing (the next turn goes on)."""
    import aiohttp

    for index, (kind, text) in enumerate(conversation.turns):
        if time.monotonic() > deadline:
            conversation.errors.append((index, "deadline"))
            return
        body = {"sender": conversation.sender, "message": text, "metadata": {"token": conversation.token}}
        started = time.perf_counter()
        try:
            async with session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT)) as answer:
                payload = await answer.read()
                status = answer.status
        except asyncio.TimeoutError:
            conversation.errors.append((index, "timeout"))
            continue
        except aiohttp.ClientError as exc:
            conversation.errors.append((index, type(exc).__name__))
            continue
        conversation.seconds.append((kind, time.perf_counter() - started))
        if status != 200:
            conversation.errors.append((index, f"HTTP {status}"))
            continue
        try:
            messages = [m.get("text") for m in json.loads(payload) if isinstance(m, dict) and m.get("text")]
        except (ValueError, TypeError, AttributeError):
            conversation.errors.append((index, "unreadable answer"))
            continue
        conversation.sent.append(text)
        conversation.received.extend(messages)
        if not messages:
            conversation.errors.append((index, "empty answer"))
        elif set(messages) & unavailable:
            conversation.errors.append((index, "temporarily unavailable"))


async def run_load(url: str, all_conversations: list, deadline_seconds: float) -> float:
    """All conversations at once; the wall-clock seconds they took."""
    import aiohttp

    from bot.channels.rest import channel_message

    unavailable = {channel_message("unavailable", lang) for lang in ("pt", "en")}
    connector = aiohttp.TCPConnector(limit=0)
    started = time.perf_counter()
    deadline = time.monotonic() + deadline_seconds
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(talk(session, url, c, unavailable, deadline) for c in all_conversations))
    return time.perf_counter() - started


def warm_up(ports: list) -> None:
    """A few turns on each replica first, so the first timed turns do not pay for loading the models' graphs."""
    import urllib.request

    for port in ports:
        for text in ("olá", "hello", "o que é o programa de parceiros?"):
            request = urllib.request.Request(f"http://{HOST}:{port}/webhooks/rest/webhook", method="POST",
                                             data=json.dumps({"sender": f"warm-up-{port}", "message": text}).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=TURN_TIMEOUT):
                pass


def as_sent(bot_event: dict) -> list:
    """The REST messages one stored bot event made: Rasa's collecting channel splits a text without
    buttons at blank lines (rasa.core.channels.channel.CollectingOutputChannel)."""
    text = bot_event["text"]
    if (bot_event.get("data") or {}).get("buttons"):
        return [text]
    return text.strip().split("\n\n")


def tracker_events(tracker_url: str, senders: list) -> dict:
    """What the tracker store holds per sender: the user texts and the bot texts, in order."""
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(tracker_url, future=True)
    held = defaultdict(lambda: {"user": [], "bot": []})
    query = text("SELECT sender_id, type_name, data FROM events WHERE sender_id IN :senders "
                 "AND type_name IN ('user', 'bot') ORDER BY id").bindparams(bindparam("senders", expanding=True))
    try:
        with engine.connect() as conn:
            for start in range(0, len(senders), 500):
                for sender, kind, data in conn.execute(query, {"senders": senders[start:start + 500]}):
                    event = json.loads(data)
                    if kind == "user":
                        held[sender]["user"].append(event.get("text"))
                    elif event.get("text"):
                        held[sender]["bot"].extend(as_sent(event))
    finally:
        engine.dispose()
    return held


def free_ports(count: int) -> list:
    """`count` distinct free ports on 127.0.0.1 (held open together, so none is picked twice)."""
    import socket

    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


# ---------------------------------------------------------------------------- the run


def bench_env(secret: str) -> dict:
    """The scaled mode's environment on local services only (a user's own database URLs are ignored)."""
    from bot.cli.serve import scaled_env, store_env

    env = {k: v for k, v in os.environ.items()
           if k not in ("PARTNERBOT_DATABASE_URL", "PARTNERBOT_TRACKER_URL", "PARTNERBOT_REDIS_URL",
                        "PARTNERBOT_JWT_SECRET_FILE", "PARTNERBOT_API_TOKEN")}
    env.update(RASA_TELEMETRY_ENABLED="false", PARTNERBOT_JWT_SECRET=secret, PARTNERBOT_PG_DB="partnerbot_bench")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env = store_env(scaled_env(env))
    for name in ("PARTNERBOT_DATABASE_URL", "PARTNERBOT_TRACKER_URL"):
        from sqlalchemy.engine import make_url

        if make_url(env[name]).host not in ("127.0.0.1", "localhost"):
            raise RuntimeError(f"{name} is not on loopback")
    if env["PARTNERBOT_REDIS_HOST"] not in ("127.0.0.1", "localhost"):
        raise RuntimeError("Redis is not on loopback")
    return env


def load(count: int = CONVERSATIONS, turns: int = TURNS, replicas: int = 2, model: str | None = None,
         start_timeout: float = 900.0, deadline_seconds: float = DEADLINE, log: Path | None = None) -> dict:
    """Start the scaled mode, run the load, read the tracker store back, stop the servers; the figures."""
    from bot.cli.serve import _database, start_servers, stop

    count = max(1, min(count, MAX_CONVERSATIONS))
    turns = max(1, min(turns, MAX_TURNS))
    secret = secrets.token_urlsafe(48)
    run_id = secrets.token_hex(4)
    env = bench_env(secret)
    _database(env)
    log = log or VAR_BENCH / "load_servers.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    ports = free_ports(replicas + 2)
    args = argparse.Namespace(host=HOST, port=ports[0], action_host=HOST, action_port=ports[1], scaled=True,
                              replicas=replicas, replica_ports=",".join(map(str, ports[2:])), model=model,
                              enable_api=False, start_timeout=start_timeout)
    print(f"starting PostgreSQL, Redis, the action server and {replicas} Rasa replicas on {HOST} "
          f"(training first when no model matches the inputs; log {log})...", flush=True)
    started = time.monotonic()
    with log.open("a") as output:
        args.output = output
        try:
            servers = start_servers(args, env)
        except SystemExit as exc:
            raise RuntimeError(f"{exc} (server log: {log})") from None
        startup = time.monotonic() - started
        try:
            warm_up(servers.replica_ports)
            all_conversations = conversations(count, turns, run_id, secret)
            pids = [p.pid for p in servers]
            cpu_before = cpu_seconds(pids)
            print(f"{count} conversations of {turns} turns at once, through the front door...", flush=True)
            wall = asyncio.run(run_load(f"http://{HOST}:{args.port}/webhooks/rest/webhook", all_conversations,
                                        deadline_seconds))
            cpu = cpu_seconds(pids) - cpu_before
            crashed = [p.args[1] if len(p.args) > 1 else str(p.args) for p in servers if p.poll() is not None]
        finally:
            stop(servers)
    held = tracker_events(env["PARTNERBOT_TRACKER_URL"], [c.sender for c in all_conversations])
    return summarise(all_conversations, held, wall, cpu, startup, crashed, replicas)


def summarise(all_conversations: list, held: dict, wall: float, cpu: float, startup: float, crashed: list,
              replicas: int) -> dict:
    seconds = [s for c in all_conversations for _, s in c.seconds]
    by_kind = defaultdict(list)
    for c in all_conversations:
        for kind, s in c.seconds:
            by_kind[kind].append(s)
    errors = Counter(what for c in all_conversations for _, what in c.errors)
    answered = sum(len(c.sent) for c in all_conversations)
    user_held = sum(len(held[c.sender]["user"]) for c in all_conversations)
    bot_held = sum(len(held[c.sender]["bot"]) for c in all_conversations)
    received = sum(len(c.received) for c in all_conversations)
    differing = [c for c in all_conversations
                 if held[c.sender]["user"] != c.sent or held[c.sender]["bot"] != c.received]
    first = None
    if differing:
        c = differing[0]
        first = {"sender": c.sender, "sent": c.sent, "user_events": held[c.sender]["user"],
                 "received": c.received, "bot_events": held[c.sender]["bot"]}
    total = Figure.latencies("turn latency, all turns", seconds)
    total.rate = len(seconds) / wall if wall else None
    total.note = f"{len(seconds)} turns in {wall:.1f} s"
    figures = [total] + [Figure.latencies(f"  {kind}", values) for kind, values in sorted(by_kind.items())]
    return {
        "setup": {"conversations": len(all_conversations), "turns_per_conversation": len(all_conversations[0].turns),
                  "replicas": replicas, "startup_seconds": round(startup, 1), "cpus": os.cpu_count(),
                  "load_average": round(os.getloadavg()[0], 1)},
        "throughput_turns_per_second": round(len(seconds) / wall, 2) if wall else None,
        "wall_seconds": round(wall, 1),
        "server_cpu_seconds_per_turn": round(cpu / len(seconds), 4) if seconds else None,
        "latency_seconds": {"p50": total.p50, "p95": total.p95, "p99": total.p99, "max": max(seconds, default=None)},
        "errors": dict(errors),
        "error_count": sum(errors.values()),
        "tracker_store": {"user_messages_sent": answered, "user_events_held": user_held,
                          "bot_messages_received": received, "bot_events_held": bot_held,
                          "conversations_differing": len(differing), "first_difference": first},
        "crashed": crashed,
        "figures": figures,
    }


def report(results: dict) -> str:
    setup, store = results["setup"], results["tracker_store"]
    lines = [
        f"{setup['conversations']} conversations x {setup['turns_per_conversation']} turns at once, scaled mode "
        f"({setup['replicas']} Rasa replicas, PostgreSQL tracker store, Redis lock store) on {HOST}; servers ready in "
        f"{setup['startup_seconds']} s; machine: {setup['cpus']} CPUs, load average {setup['load_average']}",
        "",
        table(results["figures"]),
        "",
        f"throughput: {results['throughput_turns_per_second']} turns/s over {results['wall_seconds']} s; "
        f"servers' CPU per turn: {format_seconds(results['server_cpu_seconds_per_turn'])}",
        f"errors: {results['error_count']}" + (f" {results['errors']}" if results["errors"] else ""),
        f"tracker store: {store['user_events_held']} user events for {store['user_messages_sent']} messages sent, "
        f"{store['bot_events_held']} bot events for {store['bot_messages_received']} bot messages received; "
        f"{store['conversations_differing']} conversations differ",
    ]
    if results["crashed"]:
        lines.append(f"servers that stopped during the load: {results['crashed']}")
    return "\n".join(lines)


def ok(results: dict) -> bool:
    store = results["tracker_store"]
    return (results["error_count"] == 0 and not results["crashed"] and store["conversations_differing"] == 0
            and store["user_events_held"] == store["user_messages_sent"]
            and store["bot_events_held"] == store["bot_messages_received"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS, help=f"at once (default {CONVERSATIONS})")
    parser.add_argument("--turns", type=int, default=TURNS, help=f"per conversation (default {TURNS})")
    parser.add_argument("--replicas", type=int, default=2, help="Rasa replicas (default 2)")
    parser.add_argument("--model", help="a trained model file (default: bot.build.train(), which trains when needed)")
    parser.add_argument("--start-timeout", type=float, default=900.0)
    parser.add_argument("--deadline", type=float, default=DEADLINE, help="seconds for the whole load")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = load(args.conversations, args.turns, max(2, args.replicas), args.model, args.start_timeout,
                   args.deadline)
    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    saved = {k: v for k, v in results.items() if k != "figures"}
    saved["figures"] = [f.as_dict() for f in results["figures"]]
    (VAR_BENCH / "load.json").write_text(json.dumps(saved, indent=2, default=str))
    print(json.dumps(saved, indent=2, default=str) if args.json else report(results))
    return 0 if ok(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
