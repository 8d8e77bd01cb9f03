"""Registering leads: what is written, what is not, the claim the database arbitrates, and the race."""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lead_data and conftest_lead live next to this file

from conftest_lead import *  # noqa: E402,F401,F403  (the fixtures)
from lead_data import add_account, add_partner, add_registration, race_register  # noqa: E402
from rules import lead_registration as lr  # noqa: E402
from rules.db.models import audit_log, lead_claims, registrations  # noqa: E402
from rules.errors import BadInput  # noqa: E402
from rules.lead_availability import evaluate_lead  # noqa: E402

D = dt.date
RACERS = 8
PARTNERBOT = Path(sys.executable).parent / "partnerbot"


def rows(engine, table):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_registering_writes_the_registration_the_claim_and_the_audit_row(lead_engine):
    add_partner(lead_engine, "p1")
    result = lr.register_lead(lead_engine, "https://www.Acme.com/", "p1", " Ana@ACME.com ", D(2024, 2, 29))
    assert result.registered and result.status == "registered_by_you" and result.expires_on == D(2025, 2, 28)
    out = result.as_dict("pt")
    assert out["registered"] is True and "not_registered" not in out
    assert out["expires_on"] == "2025-02-28" and "28/02/2025" in out["summary"]
    [row] = rows(lead_engine, registrations)
    assert (row["partner_id"], row["domain"], row["contact_email"]) == ("p1", "acme.com", "Ana@acme.com")
    assert (row["registered_on"], row["expires_on"]) == (D(2024, 2, 29), D(2025, 2, 28))
    [claim] = rows(lead_engine, lead_claims)
    assert claim == {"domain": "acme.com", "partner_id": "p1", "registered_on": D(2024, 2, 29), "expires_on": D(2025, 2, 28)}
    [audit] = rows(lead_engine, audit_log)
    assert (audit["action"], audit["target"], audit["partner_id"], audit["result"], audit["actor"], audit["role"]) == (
        "lead_register", "acme.com", "p1", "registered", "p1", "partner")
    claim_rule = next(e for e in out["trace"] if e["rule"] == "claim_lead")
    assert claim_rule["outcome"] is True
    assert claim_rule["parameters"][0]["parameter"] == "leads.registration_validity_months"


def test_a_refused_registration_writes_only_its_audit_row(lead_engine):
    add_partner(lead_engine, "p1")
    add_account(lead_engine, "acme.com", active_sales_process=True)
    result = lr.register_lead(lead_engine, "acme.com", "p1", "ana@acme.com", D(2025, 1, 10), actor="staff-7", role="staff")
    assert not result.registered and result.not_registered == "unavailable"
    assert result.reason_codes == ["active_sales_process"]
    assert count(lead_engine, registrations) == 0 and count(lead_engine, lead_claims) == 0
    [audit] = rows(lead_engine, audit_log)
    assert (audit["result"], audit["actor"], audit["role"]) == ("not_registered:unavailable", "staff-7", "staff")


@pytest.mark.parametrize("target, partner, contact, code", [
    ("acme.com", "p1", "", "bad_email"),
    ("acme.com", "p1", "ana", "bad_email"),
    ("acme.com", "p1", "ana@", "bad_email"),
    ("acme.com", "p1", "ana@acme", "bad_email"),
    ("acme.com", "p1", "a b@acme.com", "bad_email"),
    ("acme.com", "p1", "ana@acme.com/x", "bad_email"),
    ("acme.com", "p1", "ana@@acme.com", "bad_email"),
    ("not a domain", "p1", "ana@acme.com", "bad_domain"),
    ("acme.com", "ghost", "ana@acme.com", "unknown_partner"),
])
def test_bad_input_writes_nothing(lead_engine, target, partner, contact, code):
    add_partner(lead_engine, "p1")
    with pytest.raises(BadInput) as raised:
        lr.register_lead(lead_engine, target, partner, contact, D(2025, 1, 10))
    assert raised.value.code == code
    assert [count(lead_engine, t) for t in (registrations, lead_claims, audit_log)] == [0, 0, 0]


def test_a_claim_held_by_someone_else_blocks_and_the_partner_does_not_learn_by_whom(lead_engine):
    """The losing side of a race, made deterministic: the claim row is taken, the registrations row not yet visible."""
    add_partner(lead_engine, "p1")
    with lead_engine.begin() as conn:
        conn.execute(insert(lead_claims).values(domain="acme.com", partner_id="rival-agency-77",
                                                registered_on=D(2024, 12, 1), expires_on=D(2025, 12, 1)))
    result = lr.register_lead(lead_engine, "acme.com", "p1", "ana@acme.com", D(2025, 1, 10))
    assert not result.registered and result.not_registered == "claimed"
    assert count(lead_engine, registrations) == 0
    partner_view = json.dumps(result.as_dict("en", staff=False))
    assert "rival-agency-77" not in partner_view and "2025-12-01" not in partner_view
    staff_view = result.as_dict("en", staff=True)
    assert "rival-agency-77" in staff_view["not_registered"]["explanation"]
    assert "rival-agency-77" in json.dumps(staff_view["trace"])
    assert rows(lead_engine, audit_log)[0]["result"] == "not_registered:claimed"


def test_the_reasons_are_checked_again_inside_the_transaction(lead_engine, monkeypatch):
    """An account that became a customer between the first look and the claim is not registered, and the claim is undone."""
    add_partner(lead_engine, "p1")
    add_account(lead_engine, "acme.com", customer=True)
    real = lr.check_lead
    calls = []

    def stale_first_look(conn, target, partner_id, as_of):
        calls.append(target)
        if len(calls) == 1:  # what a check made a moment before the account changed would have said
            return evaluate_lead("acme.com", partner_id, as_of, None, [], target=target)
        return real(conn, target, partner_id, as_of)

    monkeypatch.setattr(lr, "check_lead", stale_first_look)
    result = lr.register_lead(lead_engine, "acme.com", "p1", "ana@acme.com", D(2025, 1, 10))
    assert len(calls) == 3  # first look, re-check inside the transaction, answer after the attempt
    assert not result.registered and result.not_registered == "unavailable"
    assert result.reason_codes == ["existing_customer"]
    assert count(lead_engine, registrations) == 0
    assert count(lead_engine, lead_claims) == 0  # rolled back with the rest
    fired = {e["rule"]: e for e in result.as_dict("en")["trace"]}
    assert fired["claim_lead"]["outcome"] is True and fired["claim_lead"]["rolled_back"] is True
    assert fired["may_register_under_claim"]["outcome"] is False


def test_claim_lead_takes_a_claim_only_from_its_expiry_day(lead_engine):
    with lead_engine.begin() as conn:
        assert lr.claim_lead(conn, "acme.com", "p1", D(2024, 3, 15), D(2025, 3, 15))
    with lead_engine.begin() as conn:
        assert not lr.claim_lead(conn, "acme.com", "p2", D(2024, 3, 15), D(2025, 3, 15))
        assert not lr.claim_lead(conn, "acme.com", "p2", D(2025, 3, 14), D(2026, 3, 14))
        assert lr.current_claim(conn, "acme.com") == lr.Claim("p1", D(2024, 3, 15), D(2025, 3, 15))
    with lead_engine.begin() as conn:
        assert lr.claim_lead(conn, "acme.com", "p2", D(2025, 3, 15), D(2026, 3, 15))
        assert lr.current_claim(conn, "acme.com") == lr.Claim("p2", D(2025, 3, 15), D(2026, 3, 15))


def test_sync_claims_follows_the_latest_registration(lead_engine):
    for partner in ("p1", "p2", "p3"):
        add_partner(lead_engine, partner)
    add_registration(lead_engine, "p1", "a.com", "2022-01-01", sync=False)
    add_registration(lead_engine, "p2", "a.com", "2024-05-01", sync=False)
    add_registration(lead_engine, "p3", "a.com", "2023-07-01", sync=False)
    add_registration(lead_engine, "p3", "b.com", "2024-01-01", sync=False)
    with lead_engine.begin() as conn:
        conn.execute(insert(lead_claims).values(domain="gone.com", partner_id="p1", registered_on=D(2024, 1, 1), expires_on=D(2025, 1, 1)))
        conn.execute(insert(lead_claims).values(domain="b.com", partner_id="p1", registered_on=D(2020, 1, 1), expires_on=D(2021, 1, 1)))
    with lead_engine.begin() as conn:
        assert lr.sync_claims(conn, ["a.com", "b.com", "gone.com", "a.com"]) == 2
    claims = {r["domain"]: (r["partner_id"], r["registered_on"], r["expires_on"]) for r in rows(lead_engine, lead_claims)}
    assert claims == {"a.com": ("p2", D(2024, 5, 1), D(2025, 5, 1)), "b.com": ("p3", D(2024, 1, 1), D(2025, 1, 1))}
    with lead_engine.begin() as conn:  # idempotent
        assert lr.sync_claims(conn, ["a.com", "b.com"]) == 2
    assert len(rows(lead_engine, lead_claims)) == 2


def test_sync_claims_handles_many_domains_in_chunks(lead_engine):
    add_partner(lead_engine, "p1")
    with lead_engine.begin() as conn:
        conn.execute(insert(registrations), [
            {"partner_id": "p1", "domain": f"d{i}.com", "contact_email": "x@d.com", "registered_on": D(2024, 1, 1), "expires_on": D(2025, 1, 1)}
            for i in range(1234)
        ])
        assert lr.sync_claims(conn, (f"d{i}.com" for i in range(1234)), chunk_size=500) == 1234
    assert count(lead_engine, lead_claims) == 1234


def test_registering_after_a_loaded_registration_is_blocked_by_its_claim(lead_engine):
    """What the CSV loader gives: registrations plus synced claims; the registration rules then see both."""
    add_partner(lead_engine, "p1")
    add_partner(lead_engine, "p2")
    add_registration(lead_engine, "p1", "acme.com", "2024-06-01")
    assert not lr.register_lead(lead_engine, "acme.com", "p2", "x@acme.com", D(2025, 5, 31)).registered
    again = lr.register_lead(lead_engine, "acme.com", "p2", "x@acme.com", D(2025, 6, 1))
    assert again.registered and again.expires_on == D(2026, 6, 1)
    assert count(lead_engine, registrations) == 2


@pytest.mark.parametrize("expired_claim", [False, True], ids=["fresh domain", "over an expired claim"])
def test_race_exactly_one_of_many_processes_wins(lead_engine, lead_db_url, expired_claim):
    partners = [f"racer{i}" for i in range(RACERS)]
    for partner in partners + ["old"]:
        add_partner(lead_engine, partner)
    if expired_claim:  # the upsert's UPDATE path rather than its INSERT path
        add_registration(lead_engine, "old", "race.com", "2023-01-01")
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(RACERS)
    results = ctx.Queue()
    procs = [ctx.Process(target=race_register, args=(lead_db_url, "race.com", p, "2025-01-10", barrier, results)) for p in partners]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    assert [o for o in outcomes if o[3]] == []
    winners = [o[0] for o in outcomes if o[1] is True]
    assert len(winners) == 1, outcomes
    assert sorted(o[0] for o in outcomes if o[1] is False) == sorted(set(partners) - set(winners))
    assert {o[2] for o in outcomes if o[1] is False} == {"unavailable"}
    new = [r for r in rows(lead_engine, registrations) if r["registered_on"] == D(2025, 1, 10)]
    assert [r["partner_id"] for r in new] == winners
    [claim] = rows(lead_engine, lead_claims)
    assert claim["partner_id"] == winners[0] and claim["expires_on"] == D(2026, 1, 10)
    audits = rows(lead_engine, audit_log)
    assert len(audits) == RACERS and sum(a["result"] == "registered" for a in audits) == 1


def test_race_through_the_command_line(lead_engine, lead_db_url, tmp_path):
    """Eight `partnerbot lead register` processes started at once: one registered:true, the rest false."""
    partners = [f"cli{i}" for i in range(8)]
    for partner in partners:
        add_partner(lead_engine, partner)
    env = dict(os.environ, PARTNERBOT_DATABASE_URL=lead_db_url, PARTNERBOT_VAR_DIR=str(tmp_path / "var"),
               RASA_TELEMETRY_ENABLED="false")
    procs = [
        subprocess.Popen([str(PARTNERBOT), "lead", "register", "www.cli-race.com", "--partner", p, "--contact",
                          "ana@cli-race.com", "--as-of", "2025-01-10", "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for p in partners
    ]
    answers = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        answers.append(json.loads(out))
    assert sum(a["registered"] for a in answers) == 1
    assert {a["domain"] for a in answers} == {"cli-race.com"}
    assert count(lead_engine, registrations) == 1
