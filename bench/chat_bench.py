"""Chat: REST turn latency on the real servers, an FAQ question and a partner's lead check (target p95 <= 100 ms).

Starts the action server and the Rasa server the way `partnerbot serve` does
(bot.cli.serve.start_servers), on free loopback ports, with a temporary SQLite database
loaded with the demo data, a temporary SQL tracker store beside it and a random
PARTNERBOT_JWT_SECRET; then, one conversation at a time, times `POST /webhooks/rest/webhook`
for an FAQ question (pt and en alternately) and for a lead check as a signed-in partner,
after a warm-up, and reads the CPU time each server spent per turn. Only 127.0.0.1 is ever
contacted; the number of requests and the time are bounded; the servers are stopped at the
end. The first run trains the model when none matches the inputs (about six minutes).
"""
from __future__ import annotations

import argparse
import csv
import ipaddress
import json
import os
import secrets
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import ROOT, VAR_BENCH, Figure, output_to, table
from bot.cli.serve import free_port

DEMO_DIR = ROOT / "data" / "demo"
HOST = "127.0.0.1"
TARGET_P95 = 0.100  # seconds
TURNS = 100
WARM_UP = 10
TURNS_PER_CONVERSATION = 5  # a new sender every few turns: conversations of realistic length, one at a time
REQUEST_TIMEOUT = 30.0
DEADLINE_SECONDS = 600.0  # for the timed turns of all scenarios together
MAX_TURNS = 1000

# Turns of the lead-check scenario; {domain} is a demo account's domain.
LEAD_QUESTIONS = {
    "pt": "o domínio {domain} está disponível para registro?",
    "en": "is {domain} available as a lead?",
}


@dataclass
class Scenario:
    name: str
    title: str
    messages: list  # (language, text), cycled
    token: str | None = None
    seconds: list = field(default_factory=list)
    errors: int = 0
    empty_answers: int = 0
    samples: list = field(default_factory=list)  # a few (message, answer) pairs, to see what was measured
    cpu_per_turn: dict | None = None  # seconds of CPU per timed turn, by server (rasa, actions)

    def figure(self) -> Figure:
        note = [f"max {max(self.seconds) * 1e3:.0f} ms"] if self.seconds else []
        if self.cpu_per_turn:
            note.append("CPU/turn " + ", ".join(f"{role} {cpu * 1e3:.0f} ms" for role, cpu in self.cpu_per_turn.items()))
        note += [f"{self.errors} failed"] if self.errors else []
        note += [f"{self.empty_answers} empty answers"] if self.empty_answers else []
        return Figure.latencies(self.title, self.seconds, TARGET_P95, note=", ".join(note))


# ---------------------------------------------------------------------------- the turns


def _loopback_url(port: int, path: str) -> str:
    if not ipaddress.ip_address(HOST).is_loopback:  # never point the bench at anything else
        raise ValueError(f"{HOST} is not a loopback address")
    return f"http://{HOST}:{port}{path}"


def post_turn(url: str, sender: str, text: str, token: str | None) -> tuple[int, list, float]:
    """One REST turn: (HTTP status, the bot's messages, seconds)."""
    body = {"sender": sender, "message": text}
    if token:
        body["metadata"] = {"token": token}
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        payload, status = error.read(), error.code
    elapsed = time.perf_counter() - start
    try:
        messages = json.loads(payload or b"[]")
    except ValueError:
        messages = []
    return status, messages if isinstance(messages, list) else [], elapsed


def cpu_seconds(pids) -> float:
    """CPU time (user + system) the processes have used so far, from /proc; 0 where it cannot be read."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def run_scenario(url: str, scenario: Scenario, turns: int, warm_up: int, deadline: float,
                 pids: dict | None = None) -> Scenario:
    """`warm_up` untimed turns, then up to `turns` timed ones (stops at `deadline`).

    `pids`: the servers' processes by role (`rasa`, `actions`), whose CPU time over the timed
    turns gives the CPU cost of a turn, a figure that does not grow when other programs load
    the machine.
    """
    run_id = secrets.token_hex(4)
    pids = pids or {}
    cpu_at_start = None
    for index in range(warm_up + turns):
        if time.monotonic() > deadline:
            break
        if index == warm_up:
            cpu_at_start = {role: cpu_seconds(ids) for role, ids in pids.items()}
        language, text = scenario.messages[index % len(scenario.messages)]
        sender = f"bench-{scenario.name}-{run_id}-{index // TURNS_PER_CONVERSATION}"
        try:
            status, answer, elapsed = post_turn(url, sender, text, scenario.token)
        except OSError:
            status, answer, elapsed = 0, [], 0.0
        if index < warm_up:
            continue
        if status != 200:
            scenario.errors += 1
            continue
        scenario.seconds.append(elapsed)
        texts = [m.get("text") for m in answer if isinstance(m, dict) and m.get("text")]
        if not texts:
            scenario.empty_answers += 1
        if len(scenario.samples) < 4:
            scenario.samples.append({"language": language, "message": text, "answer": texts[:2]})
    if cpu_at_start is not None and pids and scenario.seconds:
        done = len(scenario.seconds) + scenario.errors
        scenario.cpu_per_turn = {role: (cpu_seconds(ids) - cpu_at_start[role]) / done for role, ids in pids.items()}
    return scenario


# ---------------------------------------------------------------------------- messages and demo data


def faq_questions(limit: int = 20) -> list:
    """The first held-out FAQ question of the first `limit` FAQ answers, pt and en alternately."""
    import yaml

    by_language = {}
    for language in ("pt", "en"):
        with (ROOT / "tests" / "nlu" / language / "faq.yml").open(encoding="utf-8") as handle:
            blocks = yaml.safe_load(handle)["nlu"]
        by_language[language] = [
            (language, block["examples"].strip().splitlines()[0].lstrip("- ").strip())
            for block in blocks[:limit] if block.get("examples")
        ]
    return [item for pair in zip(by_language["pt"], by_language["en"]) for item in pair]


def demo_partner_and_domains(count: int = 10) -> tuple[str, list]:
    """A demo partner (package `partner`) and the domains of demo accounts, as the lead checks name them."""
    with (DEMO_DIR / "partners.csv").open(encoding="utf-8") as handle:
        partners = list(csv.DictReader(handle))
    partner = next((p["partner_id"] for p in partners if p["package"] == "partner"), partners[0]["partner_id"])
    from rules.domains import normalise_domain

    with (DEMO_DIR / "accounts.csv").open(encoding="utf-8") as handle:
        domains = [normalise_domain(row["domain"]) for row in csv.DictReader(handle)]
    return partner, [d for d in domains if "xn--" not in d][:count]  # as people type them: no IDNA form


def lead_questions(domains: list) -> list:
    languages = ("pt", "en")
    return [(languages[i % 2], LEAD_QUESTIONS[languages[i % 2]].format(domain=d)) for i, d in enumerate(domains)]


def load_demo(url: str) -> None:
    """A fresh database at `url`, at the current schema, with the demo data."""
    from rules.db import load
    from rules.db.migrate import ensure_current
    from rules.db.session import make_engine

    engine = make_engine(url)
    try:
        ensure_current(engine)
        if hasattr(load, "load_demo_if_empty"):
            load.load_demo_if_empty(engine)
        else:
            load.load_directory(engine, DEMO_DIR)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------- the run


def chat_latency(turns: int = TURNS, warm_up: int = WARM_UP, start_timeout: float = 300.0,
                 deadline_seconds: float = DEADLINE_SECONDS, log_dir: Path | None = None,
                 model: Path | None = None) -> dict:
    """Start the servers, time the scenarios, stop the servers; the figures by scenario.

    `model`: serve this model instead of the one matching the current inputs (trained when missing).
    """
    from bot.build import TRAINING_TIME
    from bot.cli.serve import start_servers, stop
    from bot.identity import issue_token

    turns = max(1, min(turns, MAX_TURNS))
    warm_up = max(0, min(warm_up, MAX_TURNS))
    with tempfile.TemporaryDirectory(prefix="partnerbot-bench-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        load_demo(database_url)
        secret = secrets.token_urlsafe(48)
        args = argparse.Namespace(host=HOST, port=free_port(), action_host=HOST, action_port=free_port(),
                                  start_timeout=start_timeout, model=str(model) if model else None)
        env = dict(os.environ)
        env.pop("PARTNERBOT_JWT_SECRET_FILE", None)
        env.update(RASA_TELEMETRY_ENABLED="false", PARTNERBOT_DATABASE_URL=database_url,
                   PARTNERBOT_TRACKER_URL=f"sqlite:///{Path(tmp) / 'tracker.db'}",  # as serve: SQL tracker store
                   PARTNERBOT_JWT_SECRET=secret,
                   PARTNERBOT_ACTION_URL=f"http://{args.action_host}:{args.action_port}/webhook")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        log = (log_dir or VAR_BENCH) / "chat_servers.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        partner, domains = demo_partner_and_domains()
        scenarios = [
            Scenario("faq", "chat turn: FAQ question (pt/en)", faq_questions()),
            Scenario("lead_check", f"chat turn: lead check, signed in as {partner}", lead_questions(domains),
                     token=issue_token(partner, "partner", key=secret)),
        ]
        print(f"starting the servers on {HOST} (training first when no model matches the inputs, {TRAINING_TIME}; "
              f"log {log})...", flush=True)
        started = time.monotonic()
        try:
            with output_to(log):
                processes = start_servers(args, env)
        except (SystemExit, Exception) as exc:  # start_servers exits (SystemExit) or raises ServeError
            raise RuntimeError(f"the servers did not start: {exc} (server log: {log})") from None
        startup = time.monotonic() - started
        try:
            url = _loopback_url(args.port, "/webhooks/rest/webhook")
            deadline = time.monotonic() + deadline_seconds
            actions = getattr(processes, "actions", None) or processes[0]
            pids = {"rasa": [p.pid for p in processes if p is not actions], "actions": [actions.pid]}
            for scenario in scenarios:
                run_scenario(url, scenario, turns, warm_up, deadline, pids)
        finally:
            stop(processes)
        return {
            "setup": {"startup_seconds": round(startup, 1), "partner": partner, "warm_up_turns": warm_up,
                      "model": str(getattr(processes, "model", None) or model or ""),
                      "turns_per_conversation": TURNS_PER_CONVERSATION, "server_log": str(log),
                      "load_average": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()},
            "figures": [s.figure() for s in scenarios],
            "samples": {s.name: s.samples for s in scenarios},
        }


def report(results: dict) -> str:
    setup = results["setup"]
    lines = [f"POST /webhooks/rest/webhook on {HOST}, one conversation at a time ({setup['turns_per_conversation']} "
             f"turns each), after {setup['warm_up_turns']} warm-up turns; servers ready in "
             f"{setup['startup_seconds']} s; machine: {setup['cpus']} CPUs, load average {setup['load_average']} at the end "
             "(latency is wall-clock: it grows with whatever else runs; the servers' CPU per turn does not)",
             "", table(results["figures"]), "", "what was answered (first turns):"]
    for name, samples in results["samples"].items():
        for sample in samples[:2]:
            answer = " | ".join(sample["answer"]) or "(no answer)"
            lines.append(f"  {name} [{sample['language']}] {sample['message']!r} -> {answer[:160]!r}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench chat", description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=TURNS, help=f"timed turns per scenario (default {TURNS})")
    parser.add_argument("--warm-up", type=int, default=WARM_UP, help=f"untimed turns first (default {WARM_UP})")
    parser.add_argument("--model", type=Path, help="serve this model (.tar.gz) instead of training/finding the current one")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.turns < 1 or args.warm_up < 0:
        print("bench chat: --turns must be at least 1 and --warm-up at least 0", file=sys.stderr)
        return 2
    if args.model and not args.model.is_file():  # `rasa run` would quietly serve another model
        print(f"bench chat: no model file {args.model}", file=sys.stderr)
        return 2
    try:
        results = chat_latency(args.turns, args.warm_up, model=args.model)
    except RuntimeError as exc:
        print(f"bench chat: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(dict(results, figures=[f.as_dict() for f in results["figures"]]), ensure_ascii=False, indent=2))
    else:
        print(report(results))
    return 0  # a missed target is shown in the table (MISSED), not as a failure


if __name__ == "__main__":
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    sys.exit(main())
