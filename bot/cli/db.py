"""`partnerbot db …`: bring the database to the current schema, load a CRM export or the demo data, count rows."""
from __future__ import annotations

import json
import sys
import time

from bot.cli.common import add_json, add_lang, engine


def register(subparsers) -> None:
    db = subparsers.add_parser("db", help="database: upgrade, load a CRM export, demo data, row counts")
    sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    sub.required = True

    upgrade = sub.add_parser("upgrade", help="apply the schema migrations (Alembic head)")
    upgrade.set_defaults(func=cmd_upgrade)

    load = sub.add_parser(
        "load", help="load a CRM export (CSV files) from DIR, all or nothing",
        description="Load any of partners.csv, accounts.csv, registrations.csv, subscriptions.csv, "
                    "managed_accounts.csv, portal_activity.csv, app_usage.csv, certifications.csv found in DIR. "
                    "On any bad row nothing is written, every problem is printed as FILE:LINE: COLUMN: reason "
                    "and the exit code is 2. Rows are upserted by their key: loading the same files again "
                    "changes nothing.")
    load.add_argument("directory", metavar="DIR", help="folder holding the CSV files")
    add_lang(load)
    add_json(load)
    load.set_defaults(func=cmd_load)

    demo = sub.add_parser("demo", help="load the demo data (data/demo/)")
    demo.add_argument("--if-empty", action="store_true", help="only when the partners table is empty")
    add_lang(demo)
    add_json(demo)
    demo.set_defaults(func=cmd_demo)

    stats = sub.add_parser("stats", help="row counts of every table")
    add_json(stats)
    stats.set_defaults(func=cmd_stats)


def cmd_upgrade(args) -> int:
    from rules.db.migrate import head_revision, upgrade
    from rules.db.session import get_engine

    eng = get_engine()
    upgrade(eng)
    print(f"database at revision {head_revision()}: {eng.url.render_as_string(hide_password=True)}")
    return 0


def _load(directory, args) -> int:
    from rules.db.load import LoadErrors, check_directory, load_directory

    check_directory(directory)  # a bad path is reported before touching the database
    lang = getattr(args, "lang", "en") or "en"
    started = time.perf_counter()
    try:
        report = load_directory(engine(), directory)
    except LoadErrors as exc:
        for line in exc.lines(lang):
            print(line, file=sys.stderr)
        print(f"partnerbot: {exc.summary(lang)}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    if args.json:
        payload = report.as_dict()
        payload["seconds"] = round(elapsed, 3)
        print(json.dumps(payload, indent=2))
        return 0
    for line in report.lines():
        print(line)
    verdict = "nothing changed" if not report.changed else (
        f"{report.inserted} inserted, {report.updated} updated")
    print(f"loaded {directory} in {elapsed:.1f}s: {verdict}")
    return 0


def cmd_load(args) -> int:
    return _load(args.directory, args)


def cmd_demo(args) -> int:
    from rules.db.load import DEMO_DIR, partner_count

    if args.if_empty:
        count = partner_count(engine())
        if count:
            if args.json:
                print(json.dumps({"directory": str(DEMO_DIR), "skipped": True, "partners": count}))
            else:
                print(f"demo data not loaded: the database already has {count} partner(s)")
            return 0
    return _load(DEMO_DIR, args)


def table_counts(eng) -> dict:
    from sqlalchemy import func, select

    from rules.db.models import metadata

    with eng.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table)).scalar()
                for name, table in metadata.tables.items()}


def cmd_stats(args) -> int:
    eng = engine()
    counts = table_counts(eng)
    if args.json:
        print(json.dumps(counts, indent=2))
        return 0
    width = max(len(name) for name in counts)
    print(f"database: {eng.url.render_as_string(hide_password=True)}")
    for name, count in counts.items():
        print(f"{name:<{width}}  {count:>10,}")
    return 0
