"""The database engine: PARTNERBOT_DATABASE_URL (any SQLAlchemy URL) or an SQLite file in var/."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_url() -> str:
    var = Path(os.environ.get("PARTNERBOT_VAR_DIR", PROJECT_ROOT / "var"))
    return f"sqlite:///{var / 'partnerbot.db'}"


def database_url() -> str:
    return os.environ.get("PARTNERBOT_DATABASE_URL") or default_url()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    kwargs = {"future": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        if path and path != ":memory:":
            # A pool keeps connections open (1.4 opens a file SQLite anew on every connect).
            kwargs.update(poolclass=QueuePool, pool_size=5, max_overflow=10)
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (the URL as it is now: PARTNERBOT_DATABASE_URL may change)."""
    return _engine_for(url or database_url())


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


get_engine.cache_clear = _engine_for.cache_clear  # tests reset engines between databases
