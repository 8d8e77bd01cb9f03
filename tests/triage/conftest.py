"""Fixtures of the email-triage tests: mailboxes built from the corpus, a CRM database, the trained model.

The model is trained (only when no model matches the training data) and loaded once per
session; the tests that need it say so by using `classifier` or `model_path`. Everything
else runs without it. Plain helpers are in triage_support.py.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from triage_support import CORPUS, CRM, FakeClassifier, corpus_files, mbox_bytes

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def expected() -> dict:
    with (CORPUS / "expected.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture
def mbox_file(tmp_path) -> Path:
    path = tmp_path / "inbox.mbox"
    path.write_bytes(mbox_bytes(corpus_files()))
    return path


@pytest.fixture
def maildir(tmp_path) -> Path:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for i, path in enumerate(corpus_files()):
        sub = "new" if i % 3 == 0 else "cur"
        suffix = "" if sub == "new" else ":2,S"
        shutil.copyfile(path, root / sub / f"17648{i:05d}.M{i}P1.triagehost{suffix}")
    (root / "tmp" / "17649999999.M1P1.triagehost").write_bytes(b"From: half@written.example\n")  # being delivered
    return root


@pytest.fixture(scope="session")
def crm_template(tmp_path_factory) -> Path:
    """An SQLite database at the current schema holding tests/triage/crm/ (built once)."""
    from rules.db.load import load_directory
    from rules.db.migrate import upgrade
    from rules.db.session import make_engine

    path = tmp_path_factory.mktemp("triage_crm") / "crm.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    load_directory(engine, CRM)
    engine.dispose()
    return path


@pytest.fixture
def crm_url(tmp_path, crm_template, monkeypatch) -> str:
    """A copy of the CRM database, set as PARTNERBOT_DATABASE_URL for the test."""
    from rules.db.session import get_engine

    path = tmp_path / "crm.db"
    shutil.copyfile(crm_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", url)
    get_engine.cache_clear()
    yield url
    get_engine.cache_clear()


@pytest.fixture
def crm_conn(crm_url):
    from rules.db.session import make_engine

    engine = make_engine(crm_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The trained model for the current training data (trained here only when missing).

    PARTNERBOT_TRIAGE_TEST_MODEL=path/to/model.tar.gz uses that model instead (to iterate on
    the triage while the training data is changing); `make test` never sets it.
    """
    chosen = os.environ.get("PARTNERBOT_TRIAGE_TEST_MODEL")
    if chosen:
        return Path(chosen)
    from bot.build import train

    return train()


@pytest.fixture(scope="session")
def classifier(model_path):
    from bot.triage.understanding import Classifier

    return Classifier.load(model_path)


@pytest.fixture
def fake_classifier():
    return FakeClassifier()
