"""Dashboard visibility — FAQ "Por que um cliente que gerencio não está aparecendo no meu painel?"."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import given as given_examples
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest_program import codes, given, program_db, run_rule  # noqa: E402,F401  (fixtures)
from rules.errors import BadInput  # noqa: E402
from rules.program.dashboard_visibility import active_recently, dashboard_visibility  # noqa: E402

AS_OF = dt.date(2024, 5, 10)
PARTNER = {"partner_id": "P1", "name": "Parceira", "package": "partner"}
MANAGED = {"partner_id": "P1", "domain": "cliente.com", "managed_since": "2023-01-01"}


def activity(first, last, user="consultor@agencia.com", domain="cliente.com"):
    return {"partner_id": "P1", "domain": domain, "user_email": user, "first_active_on": first, "last_active_on": last}


def days_ago(n):
    return (AS_OF - dt.timedelta(days=n)).isoformat()


def check(engine, domain="cliente.com", as_of=AS_OF, **kwargs):
    return run_rule(engine, dashboard_visibility, "P1", as_of, domain, **kwargs)


def test_recent_activity_that_began_before_today_is_visible(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [activity("2024-01-01", "2024-05-01")]})
    result = check(engine)
    assert result.verdict == "visible"
    assert codes(result.reasons) == ["visible"]
    assert codes(result.next_steps) == ["contact_cam_if_missing"]
    assert result.data["days_since_first_activity"] == 130


def test_activity_89_days_ago_is_recent_90_days_ago_is_not(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED],
                    "portal_activity": [activity("2023-01-01", days_ago(89))]})
    assert check(engine).verdict == "visible"
    result = check(engine, as_of=AS_OF + dt.timedelta(days=1))  # now exactly 90 days
    assert result.verdict == "hidden_no_recent_activity"
    assert codes(result.reasons) == ["no_recent_activity"]
    assert "90" in result.reasons[0].explanation["pt"]


def test_activity_today_counts_as_recent(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [activity("2023-01-01", AS_OF.isoformat())]})
    assert check(engine).verdict == "visible"


def test_first_activity_today_is_hidden_yesterday_is_visible(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [activity(AS_OF.isoformat(), AS_OF.isoformat())]})
    today = check(engine)
    assert today.verdict == "hidden_first_activity_today"
    assert codes(today.reasons) == ["first_activity_today"]
    assert codes(today.next_steps) == ["wait_for_refresh"]
    tomorrow = check(engine, as_of=AS_OF + dt.timedelta(days=1))
    assert tomorrow.verdict == "visible"
    assert tomorrow.data["days_since_first_activity"] == 1


def test_first_activity_yesterday_still_missing_means_contact_the_cam(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [activity(days_ago(1), AS_OF.isoformat())]})
    result = check(engine, still_missing=True)
    assert result.verdict == "should_be_visible_contact_cam"
    assert codes(result.next_steps) == ["contact_cam"]
    assert "Gerente de conta do canal" in result.next_steps[0].text["pt"]


def test_still_missing_on_the_first_day_is_still_first_activity_today(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [activity(AS_OF.isoformat(), AS_OF.isoformat())]})
    assert check(engine, still_missing=True).verdict == "hidden_first_activity_today"


def test_still_missing_without_recent_activity_is_not_a_cam_case(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [activity("2023-01-01", "2023-06-01")]})
    assert check(engine, still_missing=True).verdict == "hidden_no_recent_activity"


def test_first_activity_is_the_earliest_of_all_portal_users(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [
        activity(AS_OF.isoformat(), AS_OF.isoformat(), user="nova@agencia.com"),
        activity("2024-04-01", "2024-04-02", user="antigo@agencia.com"),
    ]})
    result = check(engine)
    assert result.verdict == "visible"
    assert result.data["first_active_on"] == "2024-04-01" and result.data["last_active_on"] == AS_OF.isoformat()
    assert len(result.data["users"]) == 2


def test_managed_but_never_active_is_hidden(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED]})
    result = check(engine)
    assert result.verdict == "hidden_no_recent_activity"
    assert codes(result.reasons) == ["no_activity_recorded"]


def test_activity_that_begins_after_as_of_is_ignored(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [activity("2024-06-01", "2024-06-02")]})
    assert check(engine).verdict == "hidden_no_recent_activity"


def test_not_managed_and_no_activity(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED]})
    result = check(engine, domain="outro.com")
    assert result.verdict == "not_managed"
    assert codes(result.next_steps) == ["check_client_domain"]


def test_activity_without_a_managed_row_is_judged_by_activity(given):
    engine = given({"partners": [PARTNER], "portal_activity": [activity("2024-01-01", "2024-05-01")]})
    result = check(engine)
    assert result.verdict == "visible" and result.data["managed"] is False


def test_another_partners_activity_does_not_count(given):
    engine = given({"partners": [PARTNER, {**PARTNER, "partner_id": "P2"}], "managed_accounts": [MANAGED],
                    "portal_activity": [{**activity("2024-01-01", "2024-05-01"), "partner_id": "P2"}]})
    assert check(engine).verdict == "hidden_no_recent_activity"


@pytest.mark.parametrize("typed", ["cliente.com", "CLIENTE.COM", "https://www.cliente.com/contato?x=1", "ana@Cliente.com", "cliente.com."])
def test_the_client_domain_is_normalised(given, typed):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [activity("2024-01-01", "2024-05-01")]})
    result = check(engine, domain=typed)
    assert result.verdict == "visible" and result.data["domain"] == "cliente.com"


@pytest.mark.parametrize("typed", ["", "not a domain", "bad..com", "localhost"])
def test_a_bad_domain_is_bad_input(given, typed):
    engine = given({"partners": [PARTNER]})
    with pytest.raises(BadInput) as error:
        check(engine, domain=typed)
    assert error.value.code == "bad_domain"


def test_trace_names_window_and_refresh(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [MANAGED], "portal_activity": [activity("2024-01-01", "2024-05-01")]})
    trace = check(engine).as_dict("pt")["trace"]
    assert {p["parameter"]: p["value"] for e in trace for p in e["parameters"]} == {
        "program.dashboard.activity_window_days": 90, "program.dashboard.refresh_hours": 24}


@given_examples(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)), st.integers(min_value=0, max_value=400))
def test_recent_means_fewer_than_90_days_ago(as_of, days):
    assert active_recently(as_of - dt.timedelta(days=days), as_of, 90) is (days < 90)
