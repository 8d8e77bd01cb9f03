"""Fixtures for the program-eligibility tests: a temporary SQLite database at the current schema, and rows to put in it.

Imported by tests/rules/test_program_*.py (not a conftest.py, so it cannot clash with other areas' fixtures).
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from rules.db import models
from rules.db.migrate import upgrade
from rules.db.session import make_engine

# What a row needs when a test does not say: tests name only what matters to them.
DEFAULTS = {
    "partners": {"name": "Agência Teste", "package": "provider", "tier": None, "joined_on": dt.date(2018, 1, 1), "domain": None},
    "subscriptions": {"monthly_usd": 50, "ended_on": None, "sold_by": None},
    "registrations": {"contact_email": "contato@example.com"},
    "managed_accounts": {"managed_since": None},
    "portal_activity": {"user_email": "consultor@agencia.com"},
    "certifications": {"expires_on": None},
    "accounts": {"company": "", "customer": False, "products": "", "hubspot_owner": None, "active_sales_process": False},
}


def _as_date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 and value[4] == "-" else value


def complete(table: str, row: dict) -> dict:
    """`row` with the table's defaults filled in and ISO date strings turned into dates."""
    full = {**DEFAULTS.get(table, {}), **row}
    if table == "registrations" and "expires_on" not in row:
        registered = _as_date(full["registered_on"])
        full["expires_on"] = registered.replace(year=registered.year + 1) if not (registered.month == 2 and registered.day == 29) else dt.date(registered.year + 1, 3, 1)
    return {key: _as_date(value) for key, value in full.items()}


def add_rows(engine, given: dict) -> None:
    """Insert `{table: [row, …]}` (partners first, so foreign keys hold)."""
    order = ["partners"] + [t for t in given if t != "partners"]
    with engine.begin() as conn:
        for table in order:
            rows = given.get(table) or []
            if rows:
                conn.execute(insert(models.metadata.tables[table]), [complete(table, row) for row in rows])


@pytest.fixture
def program_db(tmp_path, monkeypatch):
    """An engine on a fresh SQLite file at the current schema; PARTNERBOT_DATABASE_URL points at it."""
    url = f"sqlite:///{tmp_path / 'program.db'}"
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", url)
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "false")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def given(program_db):
    """`given({table: rows})` inserts rows; returns the engine."""

    def _given(rows: dict):
        add_rows(program_db, rows)
        return program_db

    return _given


def run_rule(engine, rule, *args, **kwargs):
    with engine.connect() as conn:
        return rule(conn, *args, **kwargs)


def codes(items) -> list:
    return [item.code for item in items]
