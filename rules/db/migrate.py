"""Bring a database to the current schema with Alembic (`partnerbot db upgrade`)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied; safe to call at every start."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    from sqlalchemy import text as sql
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            return connection.execute(sql("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def ensure_current(engine: Engine) -> None:
    """Upgrade only when the database is behind (cheap on every CLI call)."""
    if current_revision(engine) != head_revision():
        upgrade(engine)
