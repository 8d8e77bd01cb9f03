"""Solutions Provider activation and standing — FAQ "O que eu preciso fazer para ser um fornecedor de soluções?"."""
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
from rules.program.periods import Quarter  # noqa: E402
from rules.program.provider_status import (  # noqa: E402
    edition_at_least,
    product_edition,
    provider_activation,
    provider_standing,
    provider_status,
)

AS_OF = dt.date(2024, 5, 10)  # 2024-Q2; previous full quarter 2024-Q1
EDITIONS = ["free", "starter", "professional", "enterprise"]


def provider(**extra):
    return {"partner_id": "P1", "name": "Agência Um", "package": "provider", "joined_on": "2023-01-01",
            "domain": "agencia.com.br", **extra}


def own(product="sales_hub_starter", **extra):
    return {"domain": "agencia.com.br", "product": product, "started_on": "2023-01-10", **extra}


def sale(domain, started_on, product="marketing_hub_professional"):
    return {"domain": domain, "product": product, "started_on": started_on, "sold_by": "P1"}


LEAD = {"partner_id": "P1", "domain": "cliente.com", "registered_on": "2023-02-01"}


def test_all_three_steps_done_is_activated(given):
    engine = given({"partners": [provider()], "subscriptions": [own()], "registrations": [LEAD]})
    result = run_rule(engine, provider_activation, "P1", AS_OF)
    assert result.verdict == "activated"
    assert codes(result.reasons) == ["activation_complete"]
    assert result.data["missing_steps"] == []
    assert [s["done"] for s in result.data["steps"]] == [True, True, True]
    assert result.data["steps"][2]["first_registered_on"] == "2023-02-01"


def test_nothing_bought_and_no_lead_lists_both_missing_steps(given):
    engine = given({"partners": [provider()]})
    result = run_rule(engine, provider_activation, "P1", AS_OF)
    assert result.verdict == "not_activated"
    assert codes(result.reasons) == ["no_own_subscription", "no_lead_registered"]
    assert codes(result.next_steps) == ["buy_minimum_product", "register_first_lead"]
    assert result.data["missing_steps"] == ["bought_minimum_product", "registered_first_lead"]
    assert "Starter" in result.reasons[0].explanation["pt"]


def test_a_free_edition_is_below_the_starter_minimum(given):
    engine = given({"partners": [provider()], "subscriptions": [own("crm_free")], "registrations": [LEAD]})
    result = run_rule(engine, provider_activation, "P1", AS_OF)
    assert result.verdict == "not_activated"
    assert codes(result.reasons) == ["own_subscription_below_minimum"]
    assert "CRM Free" in result.reasons[0].explanation["en"]


def test_a_starter_product_on_another_domain_does_not_count(given):
    engine = given({"partners": [provider()], "subscriptions": [{**own(), "domain": "outro.com"}], "registrations": [LEAD]})
    assert run_rule(engine, provider_activation, "P1", AS_OF).verdict == "not_activated"


def test_unknown_own_account_says_so(given):
    engine = given({"partners": [provider(domain=None)], "registrations": [LEAD]})
    result = run_rule(engine, provider_activation, "P1", AS_OF)
    assert codes(result.reasons) == ["no_own_account_on_record"]
    assert codes(result.next_steps) == ["confirm_own_account"]


def test_own_account_domain_is_compared_normalised(given):
    engine = given({"partners": [provider(domain="https://www.Agencia.com.br/")], "subscriptions": [own()], "registrations": [LEAD]})
    assert run_rule(engine, provider_activation, "P1", AS_OF).verdict == "activated"


def test_a_lead_registered_after_as_of_does_not_count(given):
    engine = given({"partners": [provider()], "subscriptions": [own()],
                    "registrations": [{**LEAD, "registered_on": "2024-05-11"}]})
    assert run_rule(engine, provider_activation, "P1", AS_OF).verdict == "not_activated"
    assert run_rule(engine, provider_activation, "P1", dt.date(2024, 5, 11)).verdict == "activated"


def test_a_subscription_ending_on_as_of_is_no_longer_kept_but_the_purchase_still_activated(given):
    engine = given({"partners": [provider()], "registrations": [LEAD],
                    "subscriptions": [own(ended_on="2024-05-10"), sale("a.com", "2024-04-15"), sale("b.com", "2024-01-15")]})
    day_before = run_rule(engine, provider_status, "P1", dt.date(2024, 5, 9))
    assert (day_before.verdict, day_before.data["own_subscription"]["kept"]) == ("active", True)
    on_end = run_rule(engine, provider_status, "P1", AS_OF)
    assert on_end.verdict == "at_risk"
    assert on_end.data["activation"] == "activated"
    assert codes(on_end.reasons) == ["activation_complete", "quarter_resale_met", "own_subscription_missing"]


def test_a_product_bought_after_as_of_does_not_activate(given):
    engine = given({"partners": [provider()], "subscriptions": [own(started_on="2024-05-11")], "registrations": [LEAD]})
    assert run_rule(engine, provider_activation, "P1", AS_OF).verdict == "not_activated"
    assert run_rule(engine, provider_activation, "P1", dt.date(2024, 5, 11)).verdict == "activated"


def test_a_solutions_partner_is_not_asked_for_provider_steps(given):
    engine = given({"partners": [provider(package="partner")]})
    for rule in (provider_activation, provider_standing, provider_status):
        result = run_rule(engine, rule, "P1", AS_OF)
        assert result.verdict == "not_applicable"
        assert codes(result.reasons) == ["partner_package"]


def test_unknown_partner_is_bad_input(given):
    engine = given({"partners": [provider()]})
    with pytest.raises(BadInput) as error:
        run_rule(engine, provider_status, "NOPE", AS_OF)
    assert error.value.code == "unknown_partner"


# --- staying active


def test_a_sale_this_quarter_and_last_and_a_starter_subscription_is_active(given):
    engine = given({"partners": [provider()], "registrations": [LEAD],
                    "subscriptions": [own(), sale("a.com", "2024-04-01"), sale("b.com", "2024-03-31")]})
    result = run_rule(engine, provider_standing, "P1", AS_OF)
    assert result.verdict == "active"
    assert codes(result.reasons) == ["quarter_resale_met", "own_subscription_kept"]
    assert result.data["quarter"]["quarter"] == "2024-Q2"
    assert result.data["quarter"]["products_resold"] == 1  # 2024-04-01, the quarter's first day
    assert result.data["previous_quarter"]["products_resold"] == 1  # 2024-03-31, the previous quarter's last day
    assert result.data["previous_quarter"]["met"] is True
    assert codes(result.next_steps) == ["solve_customer_problems"]


def test_no_sale_yet_this_quarter_is_at_risk_with_the_quarter_end(given):
    engine = given({"partners": [provider()], "subscriptions": [own(), sale("b.com", "2024-02-01")]})
    result = run_rule(engine, provider_standing, "P1", AS_OF)
    assert result.verdict == "at_risk"
    assert codes(result.reasons) == ["quarter_resale_pending", "own_subscription_kept"]
    assert "2024-06-30" in result.reasons[0].explanation["en"]
    assert "resell_this_quarter" in codes(result.next_steps)


def test_a_sale_after_as_of_does_not_count_yet(given):
    engine = given({"partners": [provider()], "subscriptions": [own(), sale("a.com", "2024-05-11"), sale("b.com", "2024-02-01")]})
    assert run_rule(engine, provider_standing, "P1", AS_OF).data["quarter"]["products_resold"] == 0


def test_missing_the_previous_full_quarter_is_at_risk(given):
    engine = given({"partners": [provider()], "subscriptions": [own(), sale("a.com", "2024-04-15")]})
    result = run_rule(engine, provider_standing, "P1", AS_OF)
    assert result.verdict == "at_risk"
    assert codes(result.reasons) == ["quarter_resale_met", "previous_quarter_resale_missed", "own_subscription_kept"]


def test_previous_quarter_not_counted_when_joined_during_it(given):
    engine = given({"partners": [provider(joined_on="2024-02-01")], "subscriptions": [own(), sale("a.com", "2024-04-15")]})
    result = run_rule(engine, provider_standing, "P1", AS_OF)
    assert result.verdict == "active"
    assert result.data["previous_quarter"] == {**result.data["previous_quarter"], "counted": False, "met": None}


def test_dropping_the_own_subscription_is_at_risk(given):
    engine = given({"partners": [provider()],
                    "subscriptions": [own(ended_on="2024-05-01"), sale("a.com", "2024-04-15"), sale("b.com", "2024-01-15")]})
    result = run_rule(engine, provider_standing, "P1", AS_OF)
    assert result.verdict == "at_risk"
    assert codes(result.reasons) == ["quarter_resale_met", "own_subscription_missing"]
    assert "keep_subscription" in codes(result.next_steps)


def test_january_looks_back_at_the_previous_year_q4(given):
    engine = given({"partners": [provider()], "subscriptions": [own(), sale("a.com", "2023-12-31"), sale("b.com", "2024-01-01")]})
    result = run_rule(engine, provider_standing, "P1", dt.date(2024, 1, 1))
    assert result.data["quarter"]["quarter"] == "2024-Q1"
    assert result.data["previous_quarter"]["quarter"] == "2023-Q4"
    assert result.data["quarter"]["products_resold"] == 1
    assert result.data["previous_quarter"]["products_resold"] == 1
    assert result.verdict == "active"


def test_status_not_activated_gives_activation_steps_only(given):
    engine = given({"partners": [provider()], "subscriptions": [own()]})
    result = run_rule(engine, provider_status, "P1", AS_OF)
    assert result.verdict == "not_activated"
    assert codes(result.reasons) == ["no_lead_registered"]
    assert codes(result.next_steps) == ["register_first_lead"]
    assert result.data["activation"] == "not_activated" and result.data["standing"] == "at_risk"


def test_status_activated_reports_standing(given):
    engine = given({"partners": [provider()], "registrations": [LEAD],
                    "subscriptions": [own(), sale("a.com", "2024-04-15"), sale("b.com", "2024-01-15")]})
    result = run_rule(engine, provider_status, "P1", AS_OF)
    assert result.verdict == "active"
    assert codes(result.reasons)[0] == "activation_complete"
    out = result.as_dict("pt")
    assert out["activation"] == "activated" and out["standing"] == "active"
    traced = {entry["rule"]: entry for entry in out["trace"]}
    assert traced["resold_this_quarter"]["parameters"][0]["parameter"] == "program.provider.products_per_quarter"
    assert traced["bought_minimum_product"]["parameters"][0]["value"] == "starter"
    assert all(entry["faq"] == "O que eu preciso fazer para ser um fornecedor de soluções?" for entry in out["trace"])


# --- the small rules


@pytest.mark.parametrize("product, edition", [
    ("sales_hub_starter", "starter"), ("marketing_hub_professional", "professional"),
    ("service_hub_enterprise", "enterprise"), ("crm_free", "free"), ("reporting_addon", None), ("", None),
    ("Sales-Hub-STARTER", "starter"),
])
def test_product_edition(product, edition):
    assert product_edition(product, EDITIONS) == edition


@given_examples(st.sampled_from(EDITIONS + [None]), st.sampled_from(EDITIONS))
def test_edition_at_least_follows_the_order(edition, minimum):
    expected = edition is not None and EDITIONS.index(edition) >= EDITIONS.index(minimum)
    assert edition_at_least(edition, minimum, EDITIONS) is expected


@given_examples(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)))
def test_quarters_contain_their_days_and_follow_each_other(day):
    quarter = Quarter.of(day)
    assert quarter.first_day <= day <= quarter.last_day
    assert quarter.previous().last_day + dt.timedelta(days=1) == quarter.first_day
    assert Quarter.of(quarter.last_day + dt.timedelta(days=1)).previous() == quarter
