"""Fixtures of the CSV-import tests (rules/db/load.py, `partnerbot db …`): a fresh database per test, an
export folder writer, a snapshot of every table, and the real `partnerbot` entry point.

SQLite always; PostgreSQL too when PARTNERBOT_TEST_POSTGRES_URL is set (each test then gets its
own schema, dropped afterwards). Imported by tests/rules/test_load*.py and test_cli_db.py
(`from conftest_load import ...`); tests/conftest.py is not ours.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Numeric, String, cast, select, text as sql
from sqlalchemy.engine import make_url

from rules.db.migrate import upgrade
from rules.db.models import metadata
from rules.db.session import make_engine

ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = ROOT / "data" / "demo"
PARTNERBOT = ROOT / ".venv" / "bin" / "partnerbot"
POSTGRES_URL = os.environ.get("PARTNERBOT_TEST_POSTGRES_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])  # unset: not generated at all (not skipped)

PARTNERS_HEADER = "partner_id,name,package,tier,joined_on"
ACCOUNTS_HEADER = "domain,company,customer,products,hubspot_owner,active_sales_process"
REGISTRATIONS_HEADER = "partner_id,domain,contact_email,registered_on"


class Database:
    """A database for one test: its URL (for subprocesses) and an engine."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)


@pytest.fixture(scope="session")
def load_sqlite_template(tmp_path_factory):
    """An SQLite file migrated once per session; each test gets a copy (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("load_template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _postgres_schema_url(base_url: str, schema: str) -> str:
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=DATABASES)
def db(request, tmp_path, load_sqlite_template):
    if request.param == "sqlite":
        path = tmp_path / "partnerbot.db"
        shutil.copy(load_sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.engine.dispose()
        return
    schema = f"t_load_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sql(f'CREATE SCHEMA "{schema}"'))
    database = Database(_postgres_schema_url(POSTGRES_URL, schema))
    upgrade(database.engine)
    try:
        yield database
    finally:
        database.engine.dispose()
        with admin.begin() as conn:
            conn.execute(sql(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def write_export(folder: Path, files: dict, encoding: str = "utf-8") -> Path:
    """Write `files` ({name: text}) into `folder` exactly as given (no newline translation)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode(encoding)
        (folder / name).write_bytes(data)
    return folder


def csv_text(header: str, *rows: str) -> str:
    return "\n".join((header,) + rows) + "\n"


def snapshot(engine) -> dict:
    """Every row of every table (ids included), as sorted lists of tuples."""
    def columns(table):  # amounts as text: exact, and no float conversion warning on SQLite
        return [cast(c, String).label(c.name) if isinstance(c.type, Numeric) else c for c in table.c]

    with engine.connect() as conn:
        return {name: sorted((tuple(str(v) for v in row) for row in conn.execute(select(*columns(table)))))
                for name, table in metadata.tables.items()}


def counts(engine) -> dict:
    return {name: len(rows) for name, rows in snapshot(engine).items()}


def partnerbot(args: list, url: str, **kwargs) -> subprocess.CompletedProcess:
    """The real entry point (`.venv/bin/partnerbot`, or `python -m bot.cli`), on the test's database."""
    env = dict(os.environ, PARTNERBOT_DATABASE_URL=url, RASA_TELEMETRY_ENABLED="false")
    command = [str(PARTNERBOT)] if PARTNERBOT.exists() else [sys.executable, "-m", "bot.cli"]
    return subprocess.run(command + [str(a) for a in args], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=300, **kwargs)


@pytest.fixture
def export(tmp_path):
    """write_export into a fresh folder of the test: export({name: text}) -> folder."""
    counter = iter(range(1000))

    def make(files: dict, encoding: str = "utf-8") -> Path:
        return write_export(tmp_path / f"export{next(counter)}", files, encoding)

    return make


@pytest.fixture
def cli_db(db, monkeypatch):
    """`db`, made the database of in-process `bot.cli.main` calls.

    rules.db.session.get_engine() caches its engine under the call's arguments, not under
    PARTNERBOT_DATABASE_URL, so the cache is emptied before and after the test.
    """
    from rules.db.session import get_engine

    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", db.url)
    get_engine.cache_clear()
    yield db
    get_engine.cache_clear()
