"""The program rules' texts (rules/texts/program_*.yaml) and dated parameters (rules/parameters/program/**) are complete."""
from __future__ import annotations

import datetime as dt
import string

import pytest
import yaml

from rules.parameters import PARAMETERS_DIR, parameter
from rules.texts import TEXTS_DIR

TEXT_FILES = sorted(TEXTS_DIR.glob("program_*.yaml"))
PARAMETER_FILES = sorted((PARAMETERS_DIR / "program").rglob("*.yaml"))
LANGUAGE_ONLY = {"day", "day_ordinal"}  # "todo dia 15" / "on the 15th": each language writes the day its own way


def placeholders(template: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: p.name)
def test_every_text_has_both_languages_with_the_same_placeholders(path):
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert entries
    for code, entry in entries.items():
        assert set(entry) == {"pt", "en"}, f"{path.name}:{code}"
        assert entry["pt"].strip() and entry["en"].strip(), f"{path.name}:{code}"
        assert placeholders(entry["pt"]) - LANGUAGE_ONLY == placeholders(entry["en"]) - LANGUAGE_ONLY, f"{path.name}:{code}"


def test_there_is_a_summary_for_every_verdict():
    verdicts = {
        "program_provider": ["activated", "not_activated", "active", "at_risk", "not_applicable"],
        "program_apps": ["meets", "below", "no_accounts"],
        "program_dashboard": ["visible", "hidden_no_recent_activity", "hidden_first_activity_today",
                              "should_be_visible_contact_cam", "not_managed"],
        "program_tiers": ["update_today", "update_scheduled"],
        "program_directory": ["eligible", "not_eligible"],
        "program_onboarding": ["can_waive", "cannot_waive"],
    }
    for group, names in verdicts.items():
        entries = yaml.safe_load((TEXTS_DIR / f"{group}.yaml").read_text(encoding="utf-8"))
        assert {f"summary_{v}" for v in names} <= set(entries), group


@pytest.mark.parametrize("path", PARAMETER_FILES, ids=lambda p: str(p.relative_to(PARAMETERS_DIR)))
def test_every_parameter_is_dated_sourced_and_in_force_for_the_faq(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["description"] and data["reference"].startswith("FAQ") and data["unit"]
    for effective, entry in data["values"].items():
        assert isinstance(effective, dt.date)
        assert entry["value"] is not None and entry["source"]
    name = str(path.relative_to(PARAMETERS_DIR).with_suffix("")).replace("/", ".")
    found = parameter(name, dt.date(2018, 1, 1))
    assert found.effective == dt.date(2018, 1, 1) and found.source


def test_the_faq_numbers_are_the_parameters():
    on = dt.date(2024, 1, 1)
    assert parameter("program.provider.minimum_edition", on).value == "starter"
    assert parameter("program.provider.products_per_quarter", on).value == 1
    assert parameter("program.apps.minimum_average", on).value == 3
    assert parameter("program.apps.sold_lookback_months", on).value == 12
    assert parameter("program.dashboard.activity_window_days", on).value == 90
    assert parameter("program.dashboard.refresh_hours", on).value == 24
    assert parameter("program.tiers.update_day_of_month", on).value == 15
    assert [t["code"] for t in parameter("program.tiers.order", on).value] == ["gold", "platinum", "diamond", "elite"]
    assert parameter("program.directory.required_certification", on).value == "inbound"
    assert parameter("program.onboarding.waiver_packages", on).value == ["partner"]

