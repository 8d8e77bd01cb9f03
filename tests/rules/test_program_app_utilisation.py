"""App utilisation — FAQ "Qual é a métrica de utilização média de aplicativos?" and the FAQ's list of apps."""
from __future__ import annotations

import datetime as dt
import sys
from fractions import Fraction
from pathlib import Path

from hypothesis import given as given_examples
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest_program import codes, given, program_db, run_rule  # noqa: E402,F401  (fixtures)
from rules.parameters import description, parameter  # noqa: E402
from rules.program.app_utilisation import app_utilisation, average_apps, meets_average, shown  # noqa: E402

AS_OF = dt.date(2024, 6, 30)
PARTNER = {"partner_id": "P1", "name": "Parceira", "package": "partner"}


def sold(domain, started_on, partner="P1", product="marketing_hub_starter"):
    return {"domain": domain, "product": product, "started_on": started_on, "sold_by": partner}


def using(domain, *apps):
    return [{"domain": domain, "app": app} for app in apps]


def test_average_of_sold_and_managed_accounts_meets_at_3(given):
    engine = given({
        "partners": [PARTNER],
        "subscriptions": [sold("a.com", "2024-01-10")],
        "managed_accounts": [{"partner_id": "P1", "domain": "b.com"}],
        "app_usage": using("a.com", "blog", "forms", "crm", "deals") + using("b.com", "email", "lists"),
    })
    result = run_rule(engine, app_utilisation, "P1", AS_OF)
    assert result.verdict == "meets"  # (4 + 2) / 2 = 3, exactly the minimum
    assert result.data["average"] == 3.0
    assert result.data["accounts_counted"] == 2
    assert [(a["domain"], a["counted_apps"], a["sources"]) for a in result.data["accounts"]] == [
        ("a.com", 4, ["sold"]), ("b.com", 2, ["managed"])]
    assert codes(result.reasons) == ["average_meets"]
    assert result.next_steps == []


def test_average_just_under_3_is_below_and_says_how_many_apps_are_missing(given):
    engine = given({
        "partners": [PARTNER],
        "managed_accounts": [{"partner_id": "P1", "domain": d} for d in ("a.com", "b.com", "c.com")],
        "app_usage": using("a.com", "blog", "forms", "crm") + using("b.com", "blog", "forms", "crm")
        + using("c.com", "blog", "forms"),
    })
    result = run_rule(engine, app_utilisation, "P1", AS_OF)
    assert result.verdict == "below"  # 8 / 3 = 2.67
    assert result.data["average"] == 2.66  # cut down, never rounded up toward the minimum
    assert result.data["average_exact"] == "8/3"
    assert result.data["apps_short_of_minimum"] == 1
    assert codes(result.next_steps) == ["increase_app_adoption"]


def test_an_account_both_sold_and_managed_counts_once(given):
    engine = given({
        "partners": [PARTNER],
        "subscriptions": [sold("a.com", "2024-01-10"), sold("a.com", "2024-02-10", product="sales_hub_starter")],
        "managed_accounts": [{"partner_id": "P1", "domain": "a.com"}],
        "app_usage": using("a.com", "blog", "forms", "crm"),
    })
    result = run_rule(engine, app_utilisation, "P1", AS_OF)
    assert result.data["accounts_counted"] == 1
    assert result.data["accounts"][0]["sources"] == ["sold", "managed"]
    assert result.data["accounts"][0]["sold_on"] == "2024-01-10"
    assert result.verdict == "meets"


def test_apps_not_in_the_faq_list_do_not_count(given):
    engine = given({
        "partners": [PARTNER],
        "managed_accounts": [{"partner_id": "P1", "domain": "a.com"}],
        "app_usage": using("a.com", "blog", "forms", "quotes", "playbooks"),
    })
    result = run_rule(engine, app_utilisation, "P1", AS_OF)
    account = result.data["accounts"][0]
    assert account["counted_apps"] == 2
    assert account["apps_not_counted"] == ["playbooks", "quotes"]
    assert result.verdict == "below"


def test_sold_exactly_12_months_ago_no_longer_counts_the_day_after_does(given):
    engine = given({
        "partners": [PARTNER],
        "subscriptions": [sold("old.com", "2023-06-30"), sold("edge.com", "2023-07-01"), sold("future.com", "2024-07-01")],
        "app_usage": using("old.com", "blog") + using("edge.com", "blog", "crm", "forms"),
    })
    result = run_rule(engine, app_utilisation, "P1", AS_OF)
    assert [a["domain"] for a in result.data["accounts"]] == ["edge.com"]
    assert result.data["sold_window"] == {"after": "2023-06-30", "through": "2024-06-30", "months": 12}
    assert result.verdict == "meets"


def test_12_months_before_a_leap_day(given):
    engine = given({"partners": [PARTNER], "subscriptions": [sold("a.com", "2023-02-28"), sold("b.com", "2023-03-01")]})
    result = run_rule(engine, app_utilisation, "P1", dt.date(2024, 2, 29))
    assert [a["domain"] for a in result.data["accounts"]] == ["b.com"]


def test_other_partners_sales_and_future_managed_accounts_do_not_count(given):
    engine = given({
        "partners": [PARTNER, {**PARTNER, "partner_id": "P2"}],
        "subscriptions": [sold("theirs.com", "2024-01-10", partner="P2"), sold("nobody.com", "2024-01-10", partner=None)],
        "managed_accounts": [{"partner_id": "P1", "domain": "later.com", "managed_since": "2024-07-01"},
                             {"partner_id": "P2", "domain": "p2.com"}],
    })
    result = run_rule(engine, app_utilisation, "P1", AS_OF)
    assert result.verdict == "no_accounts"


def test_no_accounts_explains_what_the_metric_looks_at(given):
    engine = given({"partners": [PARTNER]})
    result = run_rule(engine, app_utilisation, "P1", AS_OF)
    assert result.verdict == "no_accounts"
    assert result.data["average"] is None and result.data["accounts_counted"] == 0
    assert codes(result.reasons) == ["no_accounts"]
    assert "últimos 12 meses" in result.reasons[0].explanation["pt"]
    assert codes(result.next_steps) == ["sell_or_manage_accounts"]


def test_an_account_with_no_apps_counts_as_zero(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [{"partner_id": "P1", "domain": d} for d in ("a.com", "b.com")],
                    "app_usage": using("a.com", *"blog crm forms deals email tasks".split())})
    result = run_rule(engine, app_utilisation, "P1", AS_OF)
    assert result.data["total_counted_apps"] == 6 and result.data["accounts_counted"] == 2
    assert result.verdict == "meets"


def test_app_codes_are_matched_without_case_or_spaces(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [{"partner_id": "P1", "domain": "a.com"}],
                    "app_usage": using("a.com", "Blog", " CRM ", "FORMS")})
    assert run_rule(engine, app_utilisation, "P1", AS_OF).data["accounts"][0]["counted_apps"] == 3


def test_trace_names_the_parameters_used(given):
    engine = given({"partners": [PARTNER], "managed_accounts": [{"partner_id": "P1", "domain": "a.com"}]})
    trace = run_rule(engine, app_utilisation, "P1", AS_OF).as_dict("en")["trace"]
    used = {p["parameter"] for entry in trace for p in entry["parameters"]}
    assert used == {"program.apps.sold_lookback_months", "program.apps.minimum_average", "program.apps.counted_apps"}


def test_the_app_list_keeps_all_27_names_of_the_faq_table_and_notes_the_25():
    apps = parameter("program.apps.counted_apps", AS_OF).value
    assert len(apps) == 27
    assert len({a["code"] for a in apps}) == 27
    assert all(a["pt"] and a["en"] for a in apps)
    assert {"Anúncios", "Fluxos de trabalho", "Complemento de relatórios", "Tíquetes"} <= {a["pt"] for a in apps}
    assert "25" in description("program.apps.counted_apps") and "27" in description("program.apps.counted_apps")


@given_examples(st.lists(st.integers(min_value=0, max_value=27), min_size=1, max_size=60))
def test_meets_exactly_when_the_total_reaches_3_per_account(counts):
    average = average_apps(counts)
    assert meets_average(average, 3) is (sum(counts) >= 3 * len(counts))
    assert Fraction(str(shown(average))) <= average < Fraction(str(shown(average))) + Fraction(1, 100)
