"""`partnerbot audit`: staff list who checked or registered which lead, when, with what result."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import insert

ROWS = [  # at, actor, role, action, target, partner_id, result
    ("2026-01-10T09:00:00+00:00", "P-1001", "partner", "lead_check", "acme.com", "P-1001", "available"),
    ("2026-01-10T09:01:00+00:00", "P-1001", "partner", "lead_register", "acme.com", "P-1001", "registered"),
    ("2026-02-03T15:30:00+00:00", "P-1002", "partner", "lead_check", "acme.com", "P-1002", "unavailable"),
    ("2026-02-04T08:00:00+00:00", "staff-ana", "staff", "lead_explain", "acme.com", "P-1002", "unavailable"),
    ("2026-03-01T23:59:59+00:00", "cli:root", "staff", "lead_register", "globex.com.br", "P-1003",
     "not_registered:unavailable"),
]


@pytest.fixture
def audit(tmp_path, monkeypatch, capsys):
    """Run `partnerbot audit ARGS…` (the real entry point, in this process); returns (exit code, stdout, stderr)."""
    from bot.cli import main
    from rules.db.migrate import ensure_current
    from rules.db.models import audit_log
    from rules.db.session import get_engine, make_engine

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(url)
    ensure_current(engine)
    columns = ("at", "actor", "role", "action", "target", "partner_id", "result")
    with engine.begin() as conn:
        conn.execute(insert(audit_log), [dict(zip(columns, row)) for row in ROWS])
    engine.dispose()
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", url)
    get_engine.cache_clear()

    def run(*args):
        capsys.readouterr()
        try:
            code = main(["audit", *args])
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    get_engine.cache_clear()


def rows(run, *args) -> list:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_every_row_newest_first_with_who_when_what_and_result(audit):
    listed = rows(audit)
    assert [r["at"] for r in listed] == sorted((r[0] for r in ROWS), reverse=True)
    assert listed[-1] == {"at": "2026-01-10T09:00:00+00:00", "actor": "P-1001", "role": "partner", "action": "lead_check",
                          "target": "acme.com", "partner_id": "P-1001", "result": "available"}


@pytest.mark.parametrize("args,expected", [
    (("--partner", "P-1002"), 2),
    (("--actor", "P-1001"), 2),
    (("--action", "lead_register"), 2),
    (("--action", "lead_check", "--partner", "P-1001"), 1),
    (("--since", "2026-02-04"), 2),
    (("--until", "2026-02-03"), 3),
    (("--since", "2026-02-01", "--until", "2026-02-28"), 2),
    (("--until", "2026-03-01"), 5),  # the whole last day counts
    (("--target", "https://www.ACME.com/pricing"), 4),  # normalised like everywhere else
    (("--limit", "1"), 1),
    (("--partner", "P-9999"), 0),
])
def test_filters(audit, args, expected):
    assert len(rows(audit, *args)) == expected


def test_a_readable_table_for_people(audit):
    code, out, _ = audit("--action", "lead_register")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["at", "actor", "role", "action", "target", "partner_id", "result"]
    assert lines[2].split() == ["2026-03-01T23:59:59+00:00", "cli:root", "staff", "lead_register", "globex.com.br",
                                "P-1003", "not_registered:unavailable"]
    assert audit("--partner", "nobody")[1].strip() == "no audit rows match"


@pytest.mark.parametrize("args", [("--since", "2026-13-01"), ("--limit", "0"), ("--target", "not a domain"),
                                  ("--action", "delete")])
def test_bad_input_is_a_clear_message_and_exit_2(audit, args):
    code, out, err = audit(*args)
    assert code == 2 and out == "" and err.strip() and "Traceback" not in err
