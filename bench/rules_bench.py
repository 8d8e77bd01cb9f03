"""Rules engine at CRM scale: lead checks over 1,000,000 accounts and 1,000,000 registrations, commission estimates, CSV import.

The database is an SQLite file under var/bench/, generated once (executemany in chunks,
about a minute) and reused while its sizes, generator version and schema revision are
the same. Figures: an in-process lead check (`rules.lead_availability.check_lead` on
one connection; target p95 <= 1 ms), the same with a pool checkout per check, the
`partnerbot lead check … --json` command as a user runs it (a new process each time),
bulk checks per second on one connection, a commission estimate
(`rules.commission.estimate_commission`), and the CSV import (`partnerbot db load`) in
rows per second. The SQL each lead check runs is checked with EXPLAIN QUERY PLAN: a
full-table scan is reported as a missing index.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import ROOT, VAR_BENCH, Figure, table, time_each

GENERATOR_VERSION = 1
ACCOUNTS = 1_000_000
REGISTRATIONS = 1_000_000
PARTNERS = 300
AS_OF = dt.date(2026, 11, 30)
FIRST_DAY = dt.date(2023, 1, 1)
TARGET_P95 = 0.001  # seconds: an in-process lead check
CHECKS = 2_000
BULK = 20_000
CLI_RUNS = 20
COMMISSION_RUNS = 500
IMPORT_ROWS = 100_000
CHUNK = 50_000

WORDS = ("padaria", "mercado", "clinica", "oficina", "escola", "studio", "agencia", "loja", "farmacia", "hotel",
         "construtora", "transportes", "cafe", "restaurante", "academia", "livraria", "consultoria", "grupo",
         "industria", "imobiliaria", "pet", "moda", "tech", "solar", "agro", "logistica", "saude", "viagens")
TLDS = ("com.br", "com.br", "com.br", "com.br", "com", "com.mx", "pt", "co", "de", "io", "ca")
PRODUCTS = ("sales_hub_starter", "sales_hub_professional", "marketing_hub_starter", "marketing_hub_professional",
            "marketing_hub_enterprise", "service_hub_starter", "service_hub_professional", "content_hub_starter")
REPS = tuple(f"{name}@hubspot.com" for name in ("ana.souza", "joao.lima", "marina.costa", "diego.ramirez",
                                                 "claire.martin", "tom.baker", "lena.weber", "rafael.alves"))


# ---------------------------------------------------------------------------- the data


def account_domain(k: int) -> str:
    return f"{WORDS[k % len(WORDS)]}-{k}.{TLDS[(k // len(WORDS)) % len(TLDS)]}"


def lead_only_domain(k: int) -> str:
    return f"prospect-{k}.com.br"


def partner_id(n: int) -> str:
    return f"P-{n + 1:04d}"


def registration_domain(k: int, accounts: int) -> str:
    """Domains registered: 70% of the accounts, plus prospects that have no account."""
    return account_domain(k) if k < int(accounts * 0.7) else lead_only_domain(k)


def _expiry_function():
    try:
        from rules.lead_availability import registration_expires_on
        return registration_expires_on
    except ImportError:
        from rules.db.load import registration_expires_on
        return registration_expires_on


def generate(path: Path, accounts: int, registrations: int, partners: int) -> dict:
    """Write the bench database at `path`: schema by Alembic, rows by executemany in chunks."""
    from rules.db.migrate import head_revision, upgrade
    from rules.db.session import make_engine

    started = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    upgrade(engine)
    engine.dispose()
    expires = _expiry_function()
    expiry_cache: dict = {}
    rng = random.Random(20261130)
    days = (AS_OF - FIRST_DAY).days
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-400000")
    with con:
        con.executemany(
            "INSERT INTO partners (partner_id, name, package, tier, joined_on, domain) VALUES (?, ?, ?, ?, ?, ?)",
            [(partner_id(n), f"Parceiro {n + 1}", "partner" if n % 2 else "provider",
              (None, "gold", "platinum", "diamond", "elite")[n % 5] if n % 2 else None,
              "2019-01-01", f"parceiro-{n + 1}.com.br") for n in range(partners)])
        rows = []
        for k in range(accounts):
            customer = rng.random() < 0.2
            rows.append((account_domain(k), f"{WORDS[k % len(WORDS)].title()} {k}", int(customer),
                         ";".join(rng.sample(PRODUCTS, rng.randint(1, 2))) if customer else "",
                         rng.choice(REPS) if rng.random() < 0.1 else None, int(rng.random() < 0.05)))
            if len(rows) >= CHUNK:
                con.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?)", rows)
                rows.clear()
        con.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?)", rows)
        rows.clear()
        first_wave = int(registrations * 0.8)  # the rest re-register expired leads, by another partner
        first: list = []
        claims: dict = {}

        def add(k: int, partner: int, day: dt.date) -> None:
            domain = registration_domain(k, accounts)
            day_expires = expiry_cache.get(day) or expiry_cache.setdefault(day, expires(day))
            rows.append((partner_id(partner), domain, f"contato@{domain}", day.isoformat(), day_expires.isoformat()))
            held = claims.get(k)
            if held is None or day >= held[2]:
                claims[k] = (domain, partner_id(partner), day, day_expires)

        for j in range(registrations):
            if j < first_wave:
                partner, day = rng.randrange(partners), FIRST_DAY + dt.timedelta(days=rng.randrange(days + 1))
                first.append((partner, day))
                add(j, partner, day)
            else:
                k = j - first_wave
                partner, day = first[k]
                later = min(day + dt.timedelta(days=rng.randint(366, 800)), AS_OF)
                add(k, (partner + 1 + rng.randrange(max(partners - 1, 1))) % partners, later)
            if len(rows) >= CHUNK:
                con.executemany("INSERT INTO registrations (partner_id, domain, contact_email, registered_on, "
                                "expires_on) VALUES (?, ?, ?, ?, ?)", rows)
                rows.clear()
        con.executemany("INSERT INTO registrations (partner_id, domain, contact_email, registered_on, expires_on) "
                        "VALUES (?, ?, ?, ?, ?)", rows)
        rows.clear()
        claim_rows = [(d, p, r.isoformat(), e.isoformat()) for d, p, r, e in claims.values()]
        for start in range(0, len(claim_rows), CHUNK):
            con.executemany("INSERT INTO lead_claims VALUES (?, ?, ?, ?)", claim_rows[start:start + CHUNK])
        meta = {"generator": GENERATOR_VERSION, "accounts": accounts, "registrations": registrations,
                "partners": partners, "schema": head_revision(), "generated_seconds": 0}
        meta["generated_seconds"] = round(time.perf_counter() - started, 1)
        con.execute("CREATE TABLE bench_meta (key TEXT PRIMARY KEY, value TEXT)")
        con.executemany("INSERT INTO bench_meta VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
    con.close()
    tmp.replace(path)
    return meta


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def read_meta(path: Path) -> dict:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return dict(con.execute("SELECT key, value FROM bench_meta"))
        finally:
            con.close()
    except sqlite3.Error:
        return {}


def ensure_database(accounts: int, registrations: int, partners: int, fresh: bool = False) -> tuple[Path, dict, bool]:
    """The bench database for these sizes: (path, meta, reused)."""
    from rules.db.migrate import head_revision

    VAR_BENCH.mkdir(parents=True, exist_ok=True)
    path = VAR_BENCH / f"rules-a{accounts}-r{registrations}-p{partners}.db"
    wanted = {"generator": str(GENERATOR_VERSION), "accounts": str(accounts), "registrations": str(registrations),
              "partners": str(partners), "schema": head_revision()}
    meta = read_meta(path) if path.exists() and not fresh else {}
    if meta and all(meta.get(k) == v for k, v in wanted.items()):
        return path, meta, True
    for old in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        old.unlink(missing_ok=True)
    print(f"generating {_shown(path)}: {accounts:,} accounts, {registrations:,} registrations, "
          f"{partners} partners …", flush=True)
    return path, {k: str(v) for k, v in generate(path, accounts, registrations, partners).items()}, False


# ---------------------------------------------------------------------------- what is checked


def sample_targets(path: Path, count: int, seed: int, partners: int) -> list:
    """(target, partner_id) pairs: registered leads checked by their registrant and by others, accounts without
    registration, unknown domains; some written as a URL or an email address."""
    rng = random.Random(seed)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        registrations = con.execute("SELECT max(id) FROM registrations").fetchone()[0] or 0
        accounts = con.execute("SELECT max(rowid) FROM accounts").fetchone()[0] or 0
        picks = []
        for _ in range(count):
            kind = rng.random()
            if kind < 0.5 and registrations:
                row = con.execute("SELECT partner_id, domain FROM registrations WHERE id = ?",
                                  (rng.randint(1, registrations),)).fetchone()
                own = rng.random() < 0.5
                picks.append((row[1], row[0] if own else partner_id(rng.randrange(partners))))
            elif kind < 0.85 and accounts:
                row = con.execute("SELECT domain FROM accounts WHERE rowid = ?", (rng.randint(1, accounts),)).fetchone()
                picks.append((row[0], partner_id(rng.randrange(partners))))
            else:
                picks.append((f"nunca-visto-{rng.randrange(10**9)}.com.br", partner_id(rng.randrange(partners))))
    finally:
        con.close()
    forms = (lambda d: d, lambda d: d, lambda d: f"https://www.{d}/contato", lambda d: f"compras@{d.upper()}")
    return [(rng.choice(forms)(domain), partner) for domain, partner in picks]


def optional(module: str, name: str):
    """`module.name`, or None when that module or function is not written yet."""
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise
    except AttributeError:
        return None


def query_plans(engine, check_lead, target: str, partner: str) -> tuple[list, list]:
    """The SQL one lead check runs with SQLite's plan for each; the statements that scan a whole table."""
    from sqlalchemy import event

    statements: list = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with engine.connect() as conn:
            check_lead(conn, target, partner, AS_OF)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans, scans = [], []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            rows = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            steps = [row[-1] for row in rows]
            found = re.search(r"\bFROM\s+(\w+)", statement)
            table_name = found.group(1) if found else "?"
            plans.append((table_name, steps))
            if any(step.startswith("SCAN") for step in steps):
                scans.append((statement, steps))
    finally:
        raw.close()
    return plans, scans


def cli_runs(url: str, targets: list, runs: int) -> tuple[list, list]:
    """Wall time of `partnerbot lead check TARGET --partner ID --as-of … --json`, a new process each run."""
    script = ROOT / ".venv" / "bin" / "partnerbot"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    env = dict(os.environ, PARTNERBOT_DATABASE_URL=url, RASA_TELEMETRY_ENABLED="false")
    times, failures = [], []
    for target, partner in targets[:runs]:
        started = time.perf_counter()
        done = subprocess.run(command + ["lead", "check", target, "--partner", partner, "--as-of", AS_OF.isoformat(),
                                         "--json"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
        times.append(time.perf_counter() - started)
        try:
            if done.returncode != 0 or "status" not in json.loads(done.stdout):
                raise ValueError
        except ValueError:
            failures.append(f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-200:]}")
    return times, failures


def commission_figure(runs: int) -> Figure:
    estimate = optional("rules.commission", "estimate_commission")
    if estimate is None:
        return Figure("commission estimate (FAQ example)", note="missing: rules.commission.estimate_commission")

    def faq_example(_):
        return estimate("provider", "2019-01", ["sales_hub_starter=50"],
                        ["2019-07:sales_hub_professional=400", "2019-07:sales_hub_starter=0"])

    result = faq_example(None)
    total = getattr(result, "total", None)
    faq_example(None)
    seconds = time_each(faq_example, range(runs))
    return Figure.latencies("commission estimate (FAQ example)", seconds,
                            note=f"total US${total} (the FAQ says 540)" if total is not None else "")


def import_figures(rows: int, partners: int) -> list:
    """Write a CSV export of `rows` accounts and `rows` registrations, load it into a fresh database, load it again."""
    from rules.db.load import load_directory
    from rules.db.migrate import upgrade
    from rules.db.session import make_engine

    figures = []
    with tempfile.TemporaryDirectory(prefix="partnerbot-bench-", dir=VAR_BENCH) as tmp:
        folder = Path(tmp) / "export"
        folder.mkdir()
        rng = random.Random(7)
        with (folder / "partners.csv").open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(("partner_id", "name", "package", "tier", "joined_on"))
            out.writerows((partner_id(n), f"Parceiro {n + 1}", "partner", "gold", "2019-01-01") for n in range(partners))
        with (folder / "accounts.csv").open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(("domain", "company", "customer", "products", "hubspot_owner", "active_sales_process"))
            for k in range(rows):
                customer = rng.random() < 0.2
                out.writerow((account_domain(k) if k % 10 else f"https://www.{account_domain(k)}/", f"Empresa {k}",
                              "yes" if customer else "no", "sales_hub_starter" if customer else "",
                              rng.choice(REPS) if rng.random() < 0.1 else "", "yes" if rng.random() < 0.05 else "no"))
        with (folder / "registrations.csv").open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(("partner_id", "domain", "contact_email", "registered_on"))
            days = (AS_OF - FIRST_DAY).days
            for k in range(rows):
                domain = account_domain(k)
                out.writerow((partner_id(rng.randrange(partners)), domain, f"contato@{domain}",
                              (FIRST_DAY + dt.timedelta(days=rng.randrange(days))).isoformat()))
        engine = make_engine(f"sqlite:///{Path(tmp) / 'import.db'}")
        upgrade(engine)
        total = 2 * rows + partners
        for label in ("CSV import, new rows", "CSV import, same files again (unchanged)"):
            started = time.perf_counter()
            report = load_directory(engine, folder)
            seconds = time.perf_counter() - started
            figures.append(Figure(label, n=total, rate=total / seconds,
                                  note=f"{seconds:.1f} s; {report.inserted:,} inserted, {report.updated:,} updated, "
                                       f"{report.unchanged:,} unchanged"))
        engine.dispose()
    return figures


# ---------------------------------------------------------------------------- the run


def warm_file_cache(path: Path) -> float:
    """Read the database file once, sequentially, so the lead checks are timed against the OS file cache.

    A just-generated or long-idle 366 MB file is partly out of the cache; without this the first pass of
    random lookups times the disk, not the check (measured: p95 1.36 ms cold against 0.19 ms CPU)."""
    started = time.perf_counter()
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass
    return time.perf_counter() - started


def run(options) -> dict:
    from rules.db.session import make_engine

    path, meta, reused = ensure_database(options.accounts, options.registrations, options.partners, options.fresh)
    url = f"sqlite:///{path}"
    size_mb = path.stat().st_size / 1e6
    info = {"database": _shown(path), "size_mb": round(size_mb, 1), "reused": reused,
            "load_average": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
            "accounts": int(meta["accounts"]), "registrations": int(meta["registrations"]),
            "partners": int(meta["partners"]), "generated_seconds": float(meta.get("generated_seconds", 0)),
            "as_of": AS_OF.isoformat()}
    figures: list = []
    notes: list = []
    check_lead = optional("rules.lead_availability", "check_lead")
    engine = make_engine(url)
    from rules.db.migrate import ensure_current

    ensure_current(engine)
    if check_lead is None:
        notes.append("missing: rules.lead_availability.check_lead — no lead-check figures")
    else:
        targets = sample_targets(path, options.checks, seed=1, partners=options.partners)
        statuses: dict = {}
        warm_seconds = warm_file_cache(path)
        notes.append(f"the database file was read once ({warm_seconds:.1f} s) before timing, so the OS file cache "
                     "holds it as it does for a running server; a first check after a reboot reads from disk")
        with engine.connect() as conn:
            for target, partner in targets[:200]:  # warm-up: caches, parameter files, texts
                check_lead(conn, target, partner, AS_OF)

            def one(item):
                check_lead(conn, item[0], item[1], AS_OF)

            seconds = time_each(one, targets)
            cpu = time_each(one, targets, clock=time.process_time)
            for target, partner in targets:
                verdict = check_lead(conn, target, partner, AS_OF).verdict
                statuses[verdict] = statuses.get(verdict, 0) + 1
        figures.append(Figure.latencies("lead check, in process (one connection)", seconds, TARGET_P95,
                                        note=", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))))
        figures.append(Figure.latencies("  the same, CPU time only", cpu,
                                        note="what the check costs, whatever else runs on the machine"))

        def pooled(item):
            with engine.connect() as conn:
                check_lead(conn, item[0], item[1], AS_OF)

        seconds = time_each(pooled, targets[: max(1, len(targets) // 2)])
        figures.append(Figure.latencies("lead check, in process (pool checkout per check)", seconds))

        bulk = sample_targets(path, options.bulk, seed=2, partners=options.partners)
        with engine.connect() as conn:
            started = time.perf_counter()
            for target, partner in bulk:
                check_lead(conn, target, partner, AS_OF)
            elapsed = time.perf_counter() - started
        figures.append(Figure("bulk lead checks (one connection)", n=len(bulk), rate=len(bulk) / elapsed,
                              note=f"{elapsed:.1f} s in all"))

        if options.cli_runs:
            times, failures = cli_runs(url, sample_targets(path, options.cli_runs, seed=3, partners=options.partners),
                                       options.cli_runs)
            figures.append(Figure.latencies("lead check, CLI (partnerbot lead check --json)", times,
                                            note=f"{len(failures)} failed" if failures else "new process each run"))
            notes.extend(f"CLI failure: {f}" for f in failures[:3])

        plans, scans = query_plans(engine, check_lead, *targets[0])
        info["query_plans"] = [f"{table_name}: {'; '.join(steps)}" for table_name, steps in plans]
        for statement, steps in scans:
            notes.append(f"MISSING INDEX: a lead check scans a table: {' '.join(statement.split())[:160]} "
                         f"-> {'; '.join(steps)}")
    engine.dispose()

    if options.commission_runs:
        figures.append(commission_figure(options.commission_runs))
    if options.import_rows:
        figures.extend(import_figures(options.import_rows, options.partners))
    return {"dataset": info, "figures": figures, "notes": notes}


def report(results: dict) -> str:
    d = results["dataset"]
    origin = "reused" if d["reused"] else f"generated in {d['generated_seconds']:.0f} s"
    lines = [f"dataset: {d['accounts']:,} accounts, {d['registrations']:,} registrations, {d['partners']} partners "
             f"— {d['database']} ({d['size_mb']:.0f} MB, {origin}); checks as of {d['as_of']}",
             f"machine: {d['cpus']} CPUs, load average {d['load_average']} at the start (timings are wall-clock "
             f"unless marked CPU time)"]
    for plan in d.get("query_plans", []):
        lines.append(f"  plan  {plan}")
    lines += ["", table(results["figures"])]
    if results["notes"]:
        lines.append("")
        lines.extend(results["notes"])
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench rules", description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=ACCOUNTS, help=f"accounts in the bench database ({ACCOUNTS:,})")
    p.add_argument("--registrations", type=int, default=REGISTRATIONS, help=f"registrations ({REGISTRATIONS:,})")
    p.add_argument("--partners", type=int, default=PARTNERS, help=f"partners ({PARTNERS})")
    p.add_argument("--checks", type=int, default=CHECKS, help=f"timed in-process lead checks ({CHECKS:,})")
    p.add_argument("--bulk", type=int, default=BULK, help=f"lead checks for the bulk rate ({BULK:,})")
    p.add_argument("--cli-runs", type=int, default=CLI_RUNS, help=f"runs of the CLI lead check ({CLI_RUNS}; 0 skips)")
    p.add_argument("--commission-runs", type=int, default=COMMISSION_RUNS,
                   help=f"commission estimates ({COMMISSION_RUNS}; 0 skips)")
    p.add_argument("--import-rows", type=int, default=IMPORT_ROWS,
                   help=f"accounts and registrations in the CSV import measure ({IMPORT_ROWS:,} each; 0 skips)")
    p.add_argument("--fresh", action="store_true", help="generate the database again even if a matching one exists")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    return p


def main(argv=None) -> int:
    options = parser().parse_args(argv)
    for name in ("accounts", "registrations", "partners", "checks", "bulk"):
        if getattr(options, name) < 1:
            print(f"bench rules: --{name} must be at least 1", file=sys.stderr)
            return 2
    results = run(options)
    if options.json:
        out = dict(results, figures=[f.as_dict() for f in results["figures"]])
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(report(results))
    return 0  # a missed target is shown in the table (MISSED) and in the notes, not as a failure


if __name__ == "__main__":
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    sys.exit(main())
