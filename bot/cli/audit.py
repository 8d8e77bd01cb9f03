"""`partnerbot audit`: the audit log of lead checks, explanations and registrations, for staff.

Every lead check, "why?" and registration attempt (in chat or from `partnerbot lead
register`) leaves one row: when (UTC), who (actor and role), what (action, lead domain,
partner) and the result. This command lists them, newest first, filtered.
"""
from __future__ import annotations

import datetime as dt

from bot.cli import emit
from bot.cli.common import add_json, engine, parse_date

ACTIONS = ("lead_check", "lead_explain", "lead_register")
COLUMNS = ("at", "actor", "role", "action", "target", "partner_id", "result")
MAX_LIMIT = 100_000


def register(subparsers) -> None:
    parser = subparsers.add_parser("audit", help="list the audit log of lead checks and registrations")
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="from this day on (UTC)")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="up to and including this day (UTC)")
    parser.add_argument("--partner", metavar="ID", help="for this partner_id")
    parser.add_argument("--actor", metavar="ID", help="done by this person (a partner_id, a staff id, cli:USER)")
    parser.add_argument("--action", choices=ACTIONS, help="only this kind of action")
    parser.add_argument("--target", metavar="DOMAIN", help="about this lead (a domain, URL or email address)")
    parser.add_argument("--limit", type=int, default=100, metavar="N", help="at most N rows, newest first (default 100)")
    add_json(parser)
    parser.set_defaults(func=run_audit)


def query(conn, since: dt.date | None = None, until: dt.date | None = None, partner: str | None = None,
          actor: str | None = None, action: str | None = None, target: str | None = None, limit: int = 100) -> list:
    """The rows of the audit log that match, newest first, as dicts."""
    from sqlalchemy import select

    from rules.db.models import audit_log

    statement = select(audit_log)
    # `at` is an ISO-8601 UTC timestamp, so comparing it with a day as text orders correctly.
    if since:
        statement = statement.where(audit_log.c.at >= since.isoformat())
    if until:
        statement = statement.where(audit_log.c.at < (until + dt.timedelta(days=1)).isoformat())
    for column, value in (("partner_id", partner), ("actor", actor), ("action", action), ("target", target)):
        if value:
            statement = statement.where(audit_log.c[column] == value)
    statement = statement.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
    return [{column: row[column] for column in COLUMNS} for row in conn.execute(statement).mappings()]


def run_audit(args) -> int:
    from bot.cli import UsageError

    if not 1 <= args.limit <= MAX_LIMIT:
        raise UsageError(f"--limit must be between 1 and {MAX_LIMIT}")
    target = None
    if args.target:
        from rules.lead_availability import lead_domain

        target = lead_domain(args.target)  # BadInput (exit 2) when it is not a domain
    since = parse_date(args.since) if args.since else None
    until = parse_date(args.until) if args.until else None
    with engine().connect() as conn:
        rows = query(conn, since, until, (args.partner or "").strip() or None, (args.actor or "").strip() or None,
                     args.action, target, args.limit)
    emit(rows, args.json, readable)
    return 0


def readable(rows: list) -> str:
    """The rows as an aligned table (or one line saying there are none)."""
    if not rows:
        return "no audit rows match"
    table = [COLUMNS] + [tuple("" if row[c] is None else str(row[c]) for c in COLUMNS) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
