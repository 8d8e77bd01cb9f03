"""Runs the commission scenarios written as data in tests/rules/cases/commission_*.yaml."""
from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest_commission import CASES, commission_db_url, commission_engine, insert_situation  # noqa: E402,F401
from rules.commission import estimate_commission  # noqa: E402
from rules.commission_eligibility import VERDICTS, commission_eligibility  # noqa: E402
from rules.errors import BadInput  # noqa: E402
from rules.texts import has_text  # noqa: E402

ESTIMATES = CASES / "commission_estimate.yaml"
BAD_ESTIMATES = CASES / "commission_estimate_bad_input.yaml"
ELIGIBILITY = CASES / "commission_eligibility.yaml"


def _load(path: Path) -> list:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _params(path: Path):
    return [pytest.param(case, id=case["name"]) for case in _load(path)]


def test_case_files_are_well_formed():
    for path in (ESTIMATES, BAD_ESTIMATES, ELIGIBILITY):
        cases = _load(path)
        assert len(cases) >= 10, path
        names = [case["name"] for case in cases]
        assert len(names) == len(set(names)), f"{path.name}: case names must be unique"
    for case in _load(ESTIMATES):
        assert set(case) <= {"name", "faq", "estimate", "expect"}, case["name"]
    for case in _load(ELIGIBILITY):
        assert set(case) <= {"name", "faq", "situation", "check", "expect"}, case["name"]
        expect = case["expect"]
        assert ("error" in expect) != ("verdict" in expect), case["name"]
        assert expect.get("verdict", "not_eligible") in VERDICTS, case["name"]
    codes = {c for case in _load(BAD_ESTIMATES) for c in [case["error"]]}
    assert all(has_text("errors", code) for code in codes)


# --------------------------------------------------------------------------- estimates


def _estimate(spec: dict):
    return estimate_commission(
        spec.get("package", "provider"),
        spec.get("start", "2019-01"),
        spec.get("lines", ["sales_hub_starter=50"]),
        spec.get("changes", []),
        spec.get("months"),
        still_managing=spec.get("still_managing", False),
    )


@pytest.mark.parametrize("case", _params(ESTIMATES))
def test_estimate_case(case):
    result = _estimate(case["estimate"])
    expect = case["expect"]
    out = result.as_dict("en")
    codes = [note["code"] for note in out["notes"]]
    if "total" in expect:
        assert result.total == Decimal(expect["total"])
        assert out["total"] == float(expect["total"])
    if "revenue_counted" in expect:
        assert result.revenue == Decimal(expect["revenue_counted"])
        assert out["revenue_counted"] == float(expect["revenue_counted"])
    if "rate" in expect:
        assert result.rate == Decimal(expect["rate"]) and out["rate"] == float(expect["rate"])
    for key in ("months_counted", "policy_version"):
        if key in expect:
            assert out[key] == expect[key], key
    if "horizon" in expect:
        assert out["horizon"]["months"] == expect["horizon"]
    if "last_month" in expect:
        assert out["horizon"]["last_month"] == expect["last_month"]
    if "term_months" in expect:
        assert out["term"]["months"] == expect["term_months"]
    if "payouts" in expect:
        got = [[p["quarter"], f"{p['amount']:.2f}", p["paid_on"]] for p in out["payouts"]]
        assert got == [[str(q), str(a), str(d)] for q, a, d in expect["payouts"]]
    for code in expect.get("notes", []):
        assert code in codes, f"note {code} missing from {codes}"
    for code in expect.get("no_notes", []):
        assert code not in codes, f"note {code} should not be in {codes}"
    for fragment in expect.get("policy_contains", []):
        assert fragment in out["policy"]
    # Whatever the case, the invariants of every estimate:
    assert sum((p.amount for p in result.payouts), Decimal(0)) == result.total
    assert out["currency"] == "USD"
    for note in result.notes:
        assert set(note.explanation) == {"pt", "en"} and all(note.explanation.values())


@pytest.mark.parametrize("case", _params(BAD_ESTIMATES))
def test_estimate_bad_input_case(case):
    with pytest.raises(BadInput) as raised:
        _estimate(case)
    assert raised.value.code == case["error"]
    for lang in ("pt", "en"):
        message = raised.value.message(lang)
        assert message and "\n" not in message and "{" not in message


# --------------------------------------------------------------------------- eligibility


@pytest.mark.parametrize("case", _params(ELIGIBILITY))
def test_eligibility_case(case, commission_engine):
    insert_situation(commission_engine, case.get("situation") or {})
    check = case["check"]
    expect = case["expect"]

    def run():
        with commission_engine.connect() as conn:
            return commission_eligibility(conn, check["partner"], check["domain"], check["product"],
                                          str(check["purchased_on"]), check.get("kind", "resale"))

    if "error" in expect:
        with pytest.raises(BadInput) as raised:
            run()
        assert raised.value.code == expect["error"]
        return
    verdict = run()
    out = verdict.as_dict("en")
    assert verdict.verdict == expect["verdict"]
    assert out["verdict"] == expect["verdict"]
    if "reasons" in expect:
        assert [r.code for r in verdict.reasons] == expect["reasons"]
    step_codes = [s.code for s in verdict.next_steps]
    for code in expect.get("steps", []):
        assert code in step_codes, f"step {code} missing from {step_codes}"
    outcomes = {entry["rule"]: entry["outcome"] for entry in out["trace"]}
    for rule, outcome in (expect.get("trace") or {}).items():
        assert outcomes.get(rule) == outcome, f"{rule}: {outcomes.get(rule)!r}"
    for rule, fragment in (expect.get("trace_contains") or {}).items():
        assert fragment in str(outcomes.get(rule)), rule
    for code, fragment in (expect.get("explanation_contains") or {}).items():
        assert fragment in out["explanations"][code]["en"] and fragment in out["explanations"][code]["pt"]
    for key in ("domain", "product", "kind", "customer_before_purchase"):
        if key in expect:
            assert out[key] == expect[key], key
    # Every answer: reasons explained in both languages, next steps, a trace that names the rules.
    assert verdict.reasons and verdict.next_steps
    for reason in verdict.reasons:
        assert reason.explanation["pt"] and reason.explanation["en"] and "{" not in reason.explanation["en"]
    assert {"bought_after_joining", "existing_customer", "registered_before_purchase",
            "same_commission_referral_or_resale"} <= set(outcomes)
    assert out["summary"] and verdict.as_dict("pt")["summary"] != out["summary"]
