"""Runs the lead scenarios written as data in tests/rules/cases/lead_*.yaml, on every test database."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lead_data and conftest_lead live next to this file

from conftest_lead import *  # noqa: E402,F401,F403  (the fixtures)
from lead_data import day, load_situation  # noqa: E402
from rules.errors import BadInput  # noqa: E402
from rules.lead_availability import check_lead  # noqa: E402
from rules.lead_registration import register_lead  # noqa: E402

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("lead_*.yaml"))


def _cases():
    for path in CASE_FILES:
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield pytest.param(case, id=f"{path.stem}: {case['name']}")


def test_the_case_files_exist_and_are_well_formed():
    assert {p.name for p in CASE_FILES} >= {"lead_availability.yaml", "lead_registration.yaml"}
    names = [case.values[0]["name"] for case in _cases()]
    assert len(names) == len(set(names)), "case names must be unique"
    for case in _cases():
        for step in case.values[0]["steps"]:
            assert ("check" in step) != ("register" in step), step
            assert step.get("expect"), step


def _run(engine, step):
    if "check" in step:
        args = step["check"]
        with engine.connect() as conn:
            return check_lead(conn, str(args["target"]), args["partner"], day(args["as_of"]))
    args = step["register"]
    return register_lead(engine, str(args["target"]), args["partner"], args["contact"], day(args["as_of"]))


@pytest.mark.parametrize("case", list(_cases()))
def test_case(case, lead_engine):
    load_situation(lead_engine, case)
    for number, step in enumerate(case["steps"], 1):
        where = f"step {number}: {step}"
        expect = step["expect"]
        action = step.get("check") or step.get("register")
        if "error" in expect:
            with pytest.raises(BadInput) as raised:
                _run(lead_engine, step)
            assert raised.value.code == expect["error"], where
            continue
        result = _run(lead_engine, step)
        staff = step.get("view", "staff") == "staff"
        lang = action.get("lang", "en")
        out = result.as_dict(lang, staff=staff)
        if "domain" in expect:
            assert out["domain"] == expect["domain"], where
        if "status" in expect:
            assert out["status"] == expect["status"], where
        if "reasons" in expect:
            assert [r["code"] for r in out["reasons"]] == expect["reasons"], where
        if "expires_on" in expect:
            wanted = expect["expires_on"]
            assert out["expires_on"] == (wanted.isoformat() if isinstance(wanted, dt.date) else wanted), where
        if "owner_partner_id" in expect:
            owners = [r.get("owner_partner_id") for r in out["reasons"] if r["code"] == "other_partner_owned"]
            assert (owners[0] if owners else None) == expect["owner_partner_id"], where
        if "next_steps" in expect:
            check = result.check if hasattr(result, "check") else result
            assert [s.code for s in check.next_steps] == expect["next_steps"], where
        if "summary_contains" in expect:
            assert str(expect["summary_contains"]) in out["summary"], where
        if "registered" in expect:
            assert out["registered"] is expect["registered"], where
        if "not_registered" in expect:
            got = out.get("not_registered", {}).get("code") if not out["registered"] else None
            assert got == expect["not_registered"], where
