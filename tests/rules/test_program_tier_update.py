"""Tier updates — FAQ "Com que frequência as categorias são atualizadas?" and the tier order."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import given as given_examples
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest_program import codes, given, program_db, run_rule  # noqa: E402,F401  (fixtures)
from rules.parameters import parameter  # noqa: E402
from rules.program.tier_update import next_tier_up, next_tier_update, tier_update  # noqa: E402

ORDER = parameter("program.tiers.order", dt.date(2024, 1, 1)).value


def partner(tier="gold", package="partner"):
    return {"partner_id": "P1", "name": "Parceira", "package": package, "tier": tier}


@pytest.mark.parametrize("as_of, today, next_update", [
    ("2024-05-14", False, "2024-05-15"),
    ("2024-05-15", True, "2024-06-15"),
    ("2024-05-16", False, "2024-06-15"),
    ("2024-12-15", True, "2025-01-15"),
    ("2024-12-20", False, "2025-01-15"),
    ("2024-12-31", False, "2025-01-15"),
    ("2024-01-01", False, "2024-01-15"),
    ("2024-02-29", False, "2024-03-15"),
])
def test_next_update(as_of, today, next_update):
    assert next_tier_update(dt.date.fromisoformat(as_of), 15) == (today, dt.date.fromisoformat(next_update))


def test_on_the_15th_today_is_the_update_day(given):
    engine = given({"partners": [partner("platinum")]})
    result = run_rule(engine, tier_update, "P1", dt.date(2024, 12, 15))
    assert result.verdict == "update_today"
    assert result.data["update_today"] is True
    assert result.data["next_update_on"] == "2025-01-15"
    assert "hoje (2024-12-15) é dia de atualização" in result.reasons[0].explanation["pt"]
    assert codes(result.reasons) == ["update_today", "current_tier"]
    assert result.data["current_tier"] == "platinum" and result.data["next_tier"] == "diamond"


def test_before_the_15th_the_update_is_scheduled(given):
    engine = given({"partners": [partner("gold")]})
    result = run_rule(engine, tier_update, "P1", dt.date(2024, 5, 1))
    assert result.verdict == "update_scheduled"
    assert result.data["days_until_next_update"] == 14
    assert "on the 15th of every month" in result.reasons[0].explanation["en"]


def test_tier_names_are_in_each_language(given):
    engine = given({"partners": [partner("gold")]})
    reason = run_rule(engine, tier_update, "P1", dt.date(2024, 5, 1)).reasons[1]
    assert "Ouro" in reason.explanation["pt"] and "Platinum" in reason.explanation["pt"]
    assert "Gold" in reason.explanation["en"] and "Ouro" not in reason.explanation["en"]


def test_elite_is_the_highest(given):
    engine = given({"partners": [partner("Elite")]})
    result = run_rule(engine, tier_update, "P1", dt.date(2024, 5, 1))
    assert codes(result.reasons) == ["update_scheduled", "highest_tier"]
    assert result.data["next_tier"] is None and result.next_steps == []


def test_no_tier_yet_moves_up_to_gold(given):
    engine = given({"partners": [partner(None)]})
    result = run_rule(engine, tier_update, "P1", dt.date(2024, 5, 1))
    assert codes(result.reasons) == ["update_scheduled", "no_tier_yet"]
    assert result.data["next_tier"] == "gold"


def test_a_provider_is_told_tiers_belong_to_the_partner_package(given):
    engine = given({"partners": [partner(None, package="provider")]})
    result = run_rule(engine, tier_update, "P1", dt.date(2024, 5, 1))
    assert codes(result.reasons) == ["update_scheduled", "provider_package_no_tiers"]
    assert codes(result.next_steps) == ["join_partner_package"]
    assert result.data["next_tier"] is None


def test_an_unknown_tier_value_is_reported_not_guessed(given):
    engine = given({"partners": [partner("silver")]})
    result = run_rule(engine, tier_update, "P1", dt.date(2024, 5, 1))
    assert codes(result.reasons) == ["update_scheduled", "unknown_tier"]
    assert result.data["next_tier"] is None


@pytest.mark.parametrize("current, up", [(None, "gold"), ("gold", "platinum"), ("platinum", "diamond"), ("diamond", "elite"), ("elite", None)])
def test_tier_order_gold_platinum_diamond_elite(current, up):
    found = next_tier_up(current, ORDER)
    assert (found["code"] if found else None) == up


@given_examples(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2200, 12, 31)), st.integers(min_value=1, max_value=28))
def test_the_next_update_is_the_first_such_day_after_as_of(as_of, day):
    today, upcoming = next_tier_update(as_of, day)
    assert today is (as_of.day == day)
    assert upcoming > as_of and upcoming.day == day
    assert (upcoming - as_of).days <= 31
    assert all((as_of + dt.timedelta(days=n)).day != day for n in range(1, (upcoming - as_of).days))
