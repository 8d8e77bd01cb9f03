"""Arguments and conversions shared by the sub-commands."""
from __future__ import annotations

import datetime as dt

from rules.errors import BadInput


def parse_date(value: str | None, default: dt.date | None = None) -> dt.date:
    """A YYYY-MM-DD date, or BadInput('bad_date')."""
    if value is None:
        return default or dt.date.today()
    try:
        return dt.date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise BadInput("bad_date", value=value) from None


def add_lang(parser) -> None:
    parser.add_argument("--lang", choices=("pt", "en"), default="en", help="language of explanations")


def add_json(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def add_as_of(parser) -> None:
    parser.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD", help="date of the check (default: today)")


def engine():
    """The database, brought to the current schema."""
    from rules.db.migrate import ensure_current
    from rules.db.session import get_engine

    eng = get_engine()
    ensure_current(eng)
    return eng
