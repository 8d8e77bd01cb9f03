"""Triage: email triage throughput on 1,000 generated partner emails (pt/en), model in-process.

Generates the emails from the templates below (plain, HTML-only, multipart/alternative,
latin-1 without a charset, quoted replies, forwards; about half Portuguese) into a temporary
folder, loads the trained model once (training it first when none matches the training
data) and a temporary SQLite database with the demo data, then runs the whole triage
(`bot.triage.run.run`: reading, cleaning, classifying, lead checks, drafts, triage.jsonl) in
this process and prints messages per second and the time per message. Nothing outside the
temporary folder is written.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from bench import ROOT, Figure, table

DEMO_DIR = ROOT / "data" / "demo"
MESSAGES = 1000
SEED = 20261130

# Bodies of the generated emails: {name} is the sender's first name, {domain} a demo account's domain.
TEMPLATES = [
    ("pt", "Lead {domain}", "Oi pessoal, tudo bem?\n\nVocês podem verificar se o lead {domain} está disponível para registro?\n\nAbs,\n{name}"),
    ("pt", "Comissões", "Olá,\n\nComo recebo as comissões de parceiro? Quando cai o pagamento?\n\nObrigado,\n{name}"),
    ("pt", "Registro expirado", "Bom dia!\n\nComo posso saber se o registro do lead {domain} expirou?\n\nAtt,\n{name}"),
    ("pt", "Painel", "Olá equipe,\n\nMeu cliente {domain} não aparece no painel de parceiro. Por quê?\n\n{name}"),
    ("pt", "Comissão não paga", "Olá,\n\nNão recebi a comissão do trimestre referente ao cliente {domain}. O valor está errado.\n\nAguardo retorno,\n{name}"),
    ("pt", "Nível de parceiro", "Oi,\n\nCom que frequência o nível de parceiro é atualizado?\n\nAbraços,\n{name}"),
    ("en", "Lead check", "Hi team,\n\nCould you check whether {domain} is available to register as a lead?\n\nThanks,\n{name}"),
    ("en", "Tiers", "Hello,\n\nHow are partner tiers calculated?\n\nBest regards,\n{name}"),
    ("en", "Commission", "Hi,\n\nHow much commission does a Solutions Provider earn?\n\nCheers,\n{name}"),
    ("en", "Unavailable lead", "Hi,\n\nWhy is my lead {domain} marked as unavailable?\n\nThanks,\n{name}"),
    ("en", "Events", "Hello,\n\nAre there any events for partners this year?\n\nKind regards,\n{name}"),
    ("en", "Talk to someone", "Hi,\n\nI'd like to talk to a person on the partner team, please.\n\n{name}"),
]
NAMES = ["Marina Costa", "Ethan Walsh", "João Alves", "Hannah Becker", "Lucía Restrepo", "Camila Rocha", "Daniel Kim"]
SENDER_DOMAINS = ["pulsodigital.com.br", "mapleandpine.ca", "riogrowth.com.br", "berlininbound.de", "gmail.com",
                  "agencia-nova.com.br", "growthlab.io"]
QUOTE = {"pt": "\n\nEm seg., 23 de nov. de 2026 às 10:00, Equipe de Parceiros <partnerteam@hubspot.com> escreveu:\n> Olá!\n> Mensagem anterior.\n",
         "en": "\n\nOn Mon, Nov 23, 2026 at 10:00 AM Partner Team <partnerteam@hubspot.com> wrote:\n> Hi!\n> Earlier message.\n"}
FORWARD = "\n\n---------- Forwarded message ---------\nFrom: Cliente <contato@{domain}>\nSubject: Proposta\n\nPodemos fechar em dezembro?\n"


def demo_domains() -> list:
    from rules.domains import normalise_domain

    with (DEMO_DIR / "accounts.csv").open(encoding="utf-8") as handle:
        return [normalise_domain(row["domain"]) for row in csv.DictReader(handle)]


def generate(folder: Path, count: int, seed: int = SEED) -> dict:
    """`count` .eml files in `folder`; returns how many of each shape were written."""
    rng = random.Random(seed)
    domains = [d for d in demo_domains() if "xn--" not in d] + ["acme-widgets.com", "startup-nova.com.br"]
    shapes: dict = {}
    for i in range(count):
        lang, subject, template = TEMPLATES[i % len(TEMPLATES)]
        name = rng.choice(NAMES)
        domain = rng.choice(domains)
        body = template.format(name=name.split()[0], domain=domain)
        shape = rng.choice(["plain", "plain", "html", "alternative", "latin1", "reply", "forward"])
        if shape == "reply":
            subject, body = f"Re: {subject}", body + QUOTE[lang]
        elif shape == "forward":
            subject, body = f"Fwd: {subject}", body + FORWARD.format(domain=domain)
        sender = f"{name.split()[0].lower()}@{rng.choice(SENDER_DOMAINS)}"
        headers = (f"From: {name} <{sender}>\nTo: partnerteam@hubspot.com\nSubject: {subject}\n"
                   f"Date: Mon, {1 + i % 28:02d} Nov 2026 10:{i % 60:02d}:00 -0300\n"
                   f"Message-ID: <bench-{i:05d}@{sender.split('@')[1]}>\nMIME-Version: 1.0\n")
        html = "<html><body>" + "".join(f"<p>{line}</p>" for line in body.splitlines() if line) + "</body></html>"
        if shape == "html":
            raw = (headers + "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + html).encode()
        elif shape == "alternative":
            raw = (headers + 'Content-Type: multipart/alternative; boundary="b1"\n\n--b1\n'
                   "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body +
                   "\n--b1\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + html +
                   "\n--b1--\n").encode()
        elif shape == "latin1":
            raw = (headers + "Content-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n").encode() + \
                body.encode("latin-1", "replace")
        else:
            raw = (headers + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body).encode()
        (folder / f"{i:05d}.eml").write_bytes(raw)
        shapes[shape] = shapes.get(shape, 0) + 1
    return shapes


class TimedTriage:
    """The triage with the time of each message recorded (run() only calls `triage`)."""

    def __init__(self, triage):
        self._triage = triage
        self.seconds: list = []

    def triage(self, email):
        started = time.perf_counter()
        try:
            return self._triage.triage(email)
        finally:
            self.seconds.append(time.perf_counter() - started)


def bench(count: int, seed: int, model: Path | None = None) -> dict:
    from bot.build import TRAINING_TIME, model_path, train
    from bot.triage.run import Triage, run
    from bot.triage.understanding import Classifier
    from rules.db import load
    from rules.db.migrate import ensure_current
    from rules.db.session import make_engine

    if model is None:
        if not model_path().exists():
            print(f"triage bench: no model matches the training data; training it first ({TRAINING_TIME})...", flush=True)
        model = train()
    started = time.perf_counter()
    classifier = Classifier.load(model)
    classifier.understand("warm up: how do commissions work?")
    load_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="partnerbot-triage-bench-") as tmp:
        tmp = Path(tmp)
        inbox = tmp / "inbox"
        inbox.mkdir()
        started = time.perf_counter()
        shapes = generate(inbox, count, seed)
        generate_seconds = time.perf_counter() - started
        engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
        ensure_current(engine)
        load.load_directory(engine, DEMO_DIR)
        with engine.connect() as conn:
            timed = TimedTriage(Triage(classifier, conn, dt.date.today()))
            summary = run(inbox, tmp / "out", timed, progress=False)
        engine.dispose()
    figures = [
        Figure("triage run: read, clean, classify, lead checks, drafts, jsonl", n=summary.messages,
               rate=summary.rate, note=f"{summary.seconds:.1f} s in all"),
        Figure.latencies("one message (parsed to draft)", timed.seconds),
    ]
    return {"messages": summary.messages, "seconds": round(summary.seconds, 2),
            "messages_per_second": round(summary.rate, 1), "model": str(model),
            "model_load_seconds": round(load_seconds, 1), "generate_seconds": round(generate_seconds, 1),
            "shapes": shapes, "by_topic": dict(summary.by_topic.most_common()), "needs_human": summary.needs_human,
            "errors": len(summary.errors), "cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 1),
            "figures": figures}


def report(results: dict) -> str:
    shapes = ", ".join(f"{k} {v}" for k, v in sorted(results["shapes"].items()))
    topics = ", ".join(f"{k} {v}" for k, v in results["by_topic"].items())
    return "\n".join([
        f"{results['messages']:,} generated emails ({shapes}); model loaded in {results['model_load_seconds']} s "
        f"(not in the figures); machine: {results['cpus']} CPUs, load average {results['load_average']}",
        "", table(results["figures"]), "",
        f"throughput: {results['messages_per_second']} messages/second",
        f"topics: {topics}; needing a human: {results['needs_human']}; errors: {results['errors']}",
    ])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench triage", description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=MESSAGES, help=f"emails to generate and triage ({MESSAGES:,})")
    p.add_argument("--seed", type=int, default=SEED, help="seed of the generator")
    p.add_argument("--model", type=Path, help="this trained model (.tar.gz) instead of the current one")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    return p


def main(argv=None) -> int:
    options = parser().parse_args(argv)
    if not 1 <= options.messages <= 100_000:
        print("bench triage: --messages must be between 1 and 100000", file=sys.stderr)
        return 2
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    if options.model and not options.model.is_file():
        print(f"bench triage: {options.model} does not exist", file=sys.stderr)
        return 2
    results = bench(options.messages, options.seed, options.model)
    if options.json:
        print(json.dumps(dict(results, figures=[f.as_dict() for f in results["figures"]]), indent=2, ensure_ascii=False))
    else:
        print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
