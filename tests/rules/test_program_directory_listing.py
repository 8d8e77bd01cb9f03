"""Solutions Directory listing — FAQ "Preciso ser parceiro de soluções para ser listado no Diretório de soluções?"."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest_program import codes, given, program_db, run_rule  # noqa: E402,F401  (fixtures)
from rules.program.directory_listing import directory_listing  # noqa: E402


def partner(package="provider"):
    return {"partner_id": "P1", "name": "Agência", "package": package}


def cert(earned, expires, name="inbound"):
    return {"partner_id": "P1", "certification": name, "earned_on": earned, "expires_on": expires}


@pytest.mark.parametrize("package", ["provider", "partner"])
def test_a_valid_inbound_certification_is_enough_whatever_the_package(given, package):
    engine = given({"partners": [partner(package)], "certifications": [cert("2023-01-01", "2025-01-01")]})
    result = run_rule(engine, directory_listing, "P1", dt.date(2024, 6, 1))
    assert result.verdict == "eligible"
    assert codes(result.reasons) == ["valid_certification", "partnership_not_required"]
    assert result.data["partnership_required"] is False
    assert codes(result.next_steps) == ["create_directory_profile"]


def test_expired_on_its_expiry_day_valid_the_day_before(given):
    engine = given({"partners": [partner()], "certifications": [cert("2023-01-01", "2025-01-01")]})
    assert run_rule(engine, directory_listing, "P1", dt.date(2024, 12, 31)).verdict == "eligible"
    result = run_rule(engine, directory_listing, "P1", dt.date(2025, 1, 1))
    assert result.verdict == "not_eligible"
    assert codes(result.reasons) == ["certification_expired", "partnership_not_required"]
    assert "2025-01-01" in result.reasons[0].explanation["pt"]
    assert codes(result.next_steps) == ["renew_certification"]


def test_no_inbound_certification(given):
    engine = given({"partners": [partner()], "certifications": [cert("2023-01-01", None, name="sales_software")]})
    result = run_rule(engine, directory_listing, "P1", dt.date(2024, 6, 1))
    assert result.verdict == "not_eligible"
    assert codes(result.reasons) == ["no_certification", "partnership_not_required"]
    assert result.data["certification"] is None


def test_a_certification_earned_after_as_of_does_not_count_yet(given):
    engine = given({"partners": [partner()], "certifications": [cert("2024-06-02", "2026-06-02")]})
    assert run_rule(engine, directory_listing, "P1", dt.date(2024, 6, 1)).verdict == "not_eligible"
    assert run_rule(engine, directory_listing, "P1", dt.date(2024, 6, 2)).verdict == "eligible"


def test_a_renewed_certification_wins_over_the_expired_one(given):
    engine = given({"partners": [partner()], "certifications": [cert("2021-01-01", "2023-01-01"), cert("2023-01-01", "2025-01-01")]})
    result = run_rule(engine, directory_listing, "P1", dt.date(2024, 6, 1))
    assert result.verdict == "eligible"
    assert result.data["certification"] == {"earned_on": "2023-01-01", "expires_on": "2025-01-01", "valid": True}


def test_no_expiry_date_stays_valid_and_names_match_without_case(given):
    engine = given({"partners": [partner()], "certifications": [cert("2020-01-01", None, name="Inbound")]})
    result = run_rule(engine, directory_listing, "P1", dt.date(2030, 1, 1))
    assert result.verdict == "eligible"
    assert codes(result.reasons)[0] == "valid_certification_no_expiry"


def test_trace_names_the_required_certification(given):
    engine = given({"partners": [partner()]})
    trace = run_rule(engine, directory_listing, "P1", dt.date(2024, 6, 1)).as_dict("en")["trace"]
    assert trace[0]["parameters"][0]["parameter"] == "program.directory.required_certification"
    assert trace[0]["parameters"][0]["value"] == "inbound"
