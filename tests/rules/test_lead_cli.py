"""`partnerbot lead check|register` through the real entry point: exit codes, JSON shape, one-line errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lead_data and conftest_lead live next to this file

from conftest_lead import *  # noqa: E402,F401,F403  (the fixtures)
from lead_data import add_account, add_partner, add_registration  # noqa: E402
from rules.db.models import audit_log, lead_claims, registrations  # noqa: E402

PARTNERBOT = Path(sys.executable).parent / "partnerbot"
CONTRACT_KEYS = {"domain", "status", "reasons", "next_steps", "expires_on"}


@pytest.fixture
def cli(lead_engine, lead_db_url, tmp_path):
    """Run `partnerbot ARGS…` on the test database; returns (exit code, stdout, stderr)."""
    add_partner(lead_engine, "p1")
    add_partner(lead_engine, "p2")
    add_account(lead_engine, "customer.com", customer=True, hubspot_owner="rep@hubspot.com")
    add_registration(lead_engine, "p2", "owned.com", "2024-06-01")
    add_registration(lead_engine, "p1", "mine.com", "2024-02-29")
    env = dict(os.environ, PARTNERBOT_DATABASE_URL=lead_db_url, PARTNERBOT_VAR_DIR=str(tmp_path / "var"),
               RASA_TELEMETRY_ENABLED="false")

    def run(*args):
        done = subprocess.run([str(PARTNERBOT), *args], capture_output=True, text=True, env=env, timeout=120)
        return done.returncode, done.stdout, done.stderr

    run.engine = lead_engine
    run.var = tmp_path / "var"
    return run


def _count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_check_available_json(cli):
    code, out, err = cli("lead", "check", "https://www.New-Lead.com/contact", "--partner", "p1", "--as-of", "2025-01-10", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert CONTRACT_KEYS <= set(data)
    assert data["domain"] == "new-lead.com" and data["status"] == "available"
    assert data["reasons"] == [] and data["expires_on"] is None and data["next_steps"]
    assert not cli.var.exists()  # never the project's var/ database


def test_check_unavailable_json_is_the_staff_view(cli):
    code, out, err = cli("lead", "check", "contato@OWNED.com", "--partner", "p1", "--as-of", "2025-01-10", "--lang", "pt", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["status"] == "unavailable"
    [reason] = data["reasons"]
    assert reason["code"] == "other_partner_owned" and reason["owner_partner_id"] == "p2"
    assert "outro parceiro" in reason["explanation"]
    assert all(isinstance(step, str) for step in data["next_steps"])


def test_check_every_account_reason(cli):
    code, out, _ = cli("lead", "check", "customer.com", "--partner", "p1", "--as-of", "2025-01-10", "--json")
    assert code == 0
    assert [r["code"] for r in json.loads(out)["reasons"]] == ["existing_customer", "hubspot_rep_owned"]


def test_check_registered_by_you_with_leap_day_expiry(cli):
    code, out, _ = cli("lead", "check", "mine.com", "--partner", "p1", "--as-of", "2025-02-27", "--json")
    data = json.loads(out)
    assert code == 0 and data["status"] == "registered_by_you" and data["expires_on"] == "2025-02-28" and data["reasons"] == []
    code, out, _ = cli("lead", "check", "mine.com", "--partner", "p1", "--as-of", "2025-02-28", "--json")
    assert code == 0 and json.loads(out)["status"] == "available"


def test_check_without_json_prints_a_readable_summary(cli):
    code, out, err = cli("lead", "check", "owned.com", "--partner", "p1", "--as-of", "2025-01-10")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "owned.com is unavailable: the account belongs to another partner (p2, until 2025-06-01)."
    assert "Best Partner Wins" in out and "{" not in out


@pytest.mark.parametrize("args, says", [
    (["lead", "check", "not a domain", "--partner", "p1"], "not a valid domain"),
    (["lead", "check", "acme", "--partner", "p1"], "not a valid domain"),
    (["lead", "check", "acme.com", "--partner", "nobody"], "Unknown partner"),
    (["lead", "check", "acme.com", "--partner", "p1", "--as-of", "2025-02-30"], "not a valid date"),
    (["lead", "check", "acme.com", "--partner", "p1", "--as-of", "yesterday", "--json"], "not a valid date"),
    (["lead", "check", "acme.com", "--partner", "p1", "--as-of", "9999-06-01", "--json"], "outside the range of dates"),
    (["lead", "register", "acme.com", "--partner", "p1", "--contact", "a@acme.com", "--as-of", "9999-06-01"], "outside the range"),
    (["lead", "register", "acme.com", "--partner", "p1", "--contact", "nobody", "--json"], "not a valid email"),
    (["lead", "register", "acme..com", "--partner", "p1", "--contact", "a@acme.com"], "not a valid domain"),
    (["lead", "register", "acme.com", "--partner", "ghost", "--contact", "a@acme.com"], "Unknown partner"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(cli, args, says):
    code, out, err = cli(*args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and says in err and "Traceback" not in err
    assert [_count(cli.engine, t) for t in (registrations, audit_log)] == [2, 0]


def test_bad_input_message_in_portuguese(cli):
    code, _, err = cli("lead", "check", "acme.com", "--partner", "nobody", "--lang", "pt")
    assert code == 2 and "Não conheço o parceiro" in err


def test_register_then_another_partner_loses(cli):
    code, out, err = cli("lead", "register", "www.acme.com", "--partner", "p1", "--contact", "ana@acme.com", "--as-of", "2025-01-10", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert CONTRACT_KEYS | {"registered"} <= set(data)
    assert data["registered"] is True and data["status"] == "registered_by_you" and data["expires_on"] == "2026-01-10"
    code, out, _ = cli("lead", "register", "acme.com", "--partner", "p2", "--contact", "bia@acme.com", "--as-of", "2025-01-11", "--json")
    data = json.loads(out)
    assert code == 0 and data["registered"] is False and data["status"] == "unavailable"
    assert data["reasons"][0]["owner_partner_id"] == "p1"
    code, out, _ = cli("lead", "register", "acme.com", "--partner", "p2", "--contact", "bia@acme.com", "--as-of", "2025-01-11")
    assert code == 0 and "Not registered:" in out
    with cli.engine.connect() as conn:
        assert conn.execute(select(lead_claims.c.partner_id).where(lead_claims.c.domain == "acme.com")).scalar() == "p1"
        roles = {r.role for r in conn.execute(select(audit_log.c.role))}
        actors = {r.actor for r in conn.execute(select(audit_log.c.actor))}
    assert roles == {"staff"} and all(a.startswith("cli") for a in actors)


def test_a_check_leaves_one_audit_row_naming_the_staff_user(cli):
    code, out, _ = cli("lead", "check", "https://www.Acme.com/pricing", "--partner", "p2", "--json")
    assert code == 0
    with cli.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(audit_log))]
    assert len(rows) == 1
    row = rows[0]
    assert (row["action"], row["target"], row["partner_id"], row["role"]) == ("lead_check", "acme.com", "p2", "staff")
    assert row["result"] == json.loads(out)["status"] and row["actor"].startswith("cli")


def test_lead_needs_an_action(cli):
    code, _, err = cli("lead")
    assert code == 2 and "Traceback" not in err
