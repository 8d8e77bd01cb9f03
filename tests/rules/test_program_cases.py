"""Runs the program-eligibility scenarios written as data in tests/rules/cases/program_*.yaml.

A case file names its rule (a function of rules.program), rows shared by every case (`given`) and
`cases`: each a named situation — partner, as_of, optional `args` and extra `given` rows — with what
the rule must answer (`expect`: verdict, reason codes, next-step codes, a subset of the JSON `data`,
or `error: <bad-input code>`). Every case runs on its own fresh database.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rules.program as program  # noqa: E402
from conftest_program import add_rows, codes, program_db, run_rule  # noqa: E402,F401  (fixtures)
from rules.errors import BadInput  # noqa: E402

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("program_*.yaml"))
EXPECT_KEYS = {"verdict", "reasons", "next_steps", "data", "error"}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _cases():
    for path in CASE_FILES:
        spec = _load(path)
        for case in spec["cases"]:
            yield pytest.param(spec, case, id=f"{path.stem}: {case['name']}")


def merged(shared: dict, own: dict) -> dict:
    """Rows of the file plus rows of the case, table by table."""
    tables = {**{t: list(rows or []) for t, rows in (shared or {}).items()}}
    for table, rows in (own or {}).items():
        tables.setdefault(table, []).extend(rows or [])
    return tables


def assert_subset(expected, actual, where="data"):
    """Every key the case names has the expected value; dates compare as ISO strings; lists element by element."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing (have {sorted(actual)})"
            assert_subset(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: expected {expected!r}, got {actual!r}"
        for index, (value, got) in enumerate(zip(expected, actual)):
            assert_subset(value, got, f"{where}[{index}]")
    elif isinstance(expected, dt.date):
        assert actual == expected.isoformat(), f"{where}: expected {expected}, got {actual!r}"
    else:
        assert actual == expected and type(actual) is type(expected) or (
            isinstance(expected, (int, float)) and not isinstance(expected, bool) and actual == expected
        ), f"{where}: expected {expected!r}, got {actual!r}"


def test_every_rule_has_a_case_file_and_the_files_are_well_formed():
    rules_with_cases = {_load(path)["rule"] for path in CASE_FILES}
    assert rules_with_cases == {"provider_status", "app_utilisation", "dashboard_visibility",
                                "tier_update", "directory_listing", "onboarding_waiver"}
    for path in CASE_FILES:
        spec = _load(path)
        assert set(spec) <= {"rule", "given", "cases"}, path.name
        assert hasattr(program, spec["rule"]), path.name
        names = [case["name"] for case in spec["cases"]]
        assert len(names) == len(set(names)), f"{path.name}: duplicate case names"
        for case in spec["cases"]:
            assert set(case) <= {"name", "partner", "as_of", "args", "given", "expect"}, case["name"]
            assert set(case["expect"]) <= EXPECT_KEYS and case["expect"], case["name"]
            assert isinstance(case["as_of"], dt.date), case["name"]


@pytest.mark.parametrize("spec, case", list(_cases()))
def test_case(program_db, spec, case):
    add_rows(program_db, merged(spec.get("given"), case.get("given")))
    rule = getattr(program, spec["rule"])
    expect = case["expect"]
    call = (rule, case["partner"], case["as_of"])
    if "error" in expect:
        with pytest.raises(BadInput) as error:
            run_rule(program_db, *call, **case.get("args", {}))
        assert error.value.code == expect["error"]
        return
    result = run_rule(program_db, *call, **case.get("args", {}))
    assert result.verdict == expect["verdict"]
    if "reasons" in expect:
        assert codes(result.reasons) == expect["reasons"]
    if "next_steps" in expect:
        assert codes(result.next_steps) == expect["next_steps"]
    for lang in ("pt", "en"):
        out = result.as_dict(lang)
        assert out["verdict"] == expect["verdict"] and out["summary"]
        assert all(reason["explanation"] for reason in out["reasons"])
    assert_subset(expect.get("data", {}), result.as_dict("en"))
