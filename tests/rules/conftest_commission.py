"""Fixtures and data helpers of the commission tests: a temporary SQLite database at the current
schema, rows written straight into it with SQLAlchemy, and the CLI run through the real entry point.

Imported by tests/rules/test_commission*.py (not a conftest.py, so it cannot clash with other areas).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import insert

from rules.db import models
from rules.db.migrate import upgrade
from rules.db.session import make_engine
from rules.lead_availability import registration_expires_on

PROJECT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
PARTNERBOT = PROJECT / ".venv" / "bin" / "partnerbot"

# What a row needs when a scenario does not say: scenarios name only what matters to them.
DEFAULTS = {
    "partners": {"package": "partner", "tier": None, "joined_on": "2018-01-01"},
    "accounts": {"company": "", "customer": False, "products": "", "hubspot_owner": None, "active_sales_process": False},
    "registrations": {},
    "subscriptions": {"monthly_usd": 50, "ended_on": None, "sold_by": None},
    "managed_accounts": {"managed_since": None},
}
TABLES = ("partners", "accounts", "registrations", "subscriptions", "managed_accounts")


def day(value):
    if isinstance(value, dt.date) or value is None:
        return value
    return dt.date.fromisoformat(str(value))


def _row(table: str, row: dict) -> dict:
    full = {**DEFAULTS[table], **row}
    for key, value in full.items():
        if key.endswith("_on") or key == "managed_since":
            full[key] = day(value)
    if table == "partners":
        full.setdefault("name", full["partner_id"].upper())
    if table == "registrations":
        full.setdefault("contact_email", f"contact@{full['domain']}")
        full.setdefault("expires_on", registration_expires_on(full["registered_on"]))
    return full


def insert_situation(engine, situation: dict) -> None:
    """Insert a scenario's rows: {partners: [...], accounts: [...], registrations: [...], subscriptions: [...], managed_accounts: [...]}."""
    with engine.begin() as conn:
        for table in TABLES:
            for row in situation.get(table) or []:
                conn.execute(insert(getattr(models, table)).values(**_row(table, row)))


def make_database(url: str):
    engine = make_engine(url)
    upgrade(engine)
    return engine


@pytest.fixture
def commission_db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'commission.db'}"
    make_database(url).dispose()
    return url


@pytest.fixture
def commission_engine(commission_db_url):
    engine = make_engine(commission_db_url)
    yield engine
    engine.dispose()


def run_cli(args, db_url: str, check_json: bool = True):
    """`partnerbot ARGS` through the installed entry point; answers (exit code, parsed JSON or stdout, stderr)."""
    env = {**os.environ, "PARTNERBOT_DATABASE_URL": db_url, "RASA_TELEMETRY_ENABLED": "false", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [str(PARTNERBOT)] if PARTNERBOT.exists() else [sys.executable, "-m", "bot.cli"]
    done = subprocess.run(command + list(args), capture_output=True, text=True, env=env, cwd=PROJECT, timeout=120)
    out = done.stdout
    if check_json and done.returncode == 0 and "--json" in args:
        out = json.loads(done.stdout)
    return done.returncode, out, done.stderr
