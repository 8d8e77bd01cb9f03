"""Fixtures of the lead-rule tests: a fresh database per test, SQLite always, PostgreSQL too when
PARTNERBOT_TEST_POSTGRES_URL is set (each test then gets its own schema, dropped afterwards).

Imported by tests/rules/test_lead_*.py (`from conftest_lead import ...`); tests/conftest.py is not ours.
"""
from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url

from lead_data import make_database
from rules.db.session import make_engine

POSTGRES_URL = os.environ.get("PARTNERBOT_TEST_POSTGRES_URL")

# When the variable is unset the PostgreSQL parameter is not generated at all (not skipped).
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def postgres_schema_url(base_url: str, schema: str) -> str:
    """`base_url` with every connection's search_path set to `schema` (so subprocesses share it)."""
    url = make_url(base_url)
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def lead_sqlite_template(tmp_path_factory):
    """An SQLite file migrated once per session; each test gets a copy (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("lead_template") / "template.db"
    make_database(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(params=DATABASES)
def lead_db_url(request, tmp_path, lead_sqlite_template):
    """The URL of an empty database at the current schema (SQLite file in tmp_path, or a PostgreSQL schema)."""
    if request.param == "sqlite":
        path = tmp_path / "lead.db"
        shutil.copyfile(lead_sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    schema = f"lead_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sql(f'CREATE SCHEMA "{schema}"'))
    url = postgres_schema_url(POSTGRES_URL, schema)
    make_database(url).dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sql(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def lead_engine(lead_db_url):
    engine = make_engine(lead_db_url)
    yield engine
    engine.dispose()


# What `from conftest_lead import *` gives a test module: the fixtures (pytest finds them by name there).
__all__ = ["DATABASES", "POSTGRES_URL", "lead_db_url", "lead_engine", "lead_sqlite_template", "postgres_schema_url"]
