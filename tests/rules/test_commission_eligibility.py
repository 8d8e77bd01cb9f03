"""The commission-eligibility rules as plain functions (the scenarios on a database are in
tests/rules/cases/commission_eligibility.yaml)."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest_commission import commission_db_url, commission_engine, insert_situation  # noqa: E402,F401
from rules.commission_eligibility import (  # noqa: E402
    CustomerHistory,
    Partner,
    bought_after_joining,
    commission_eligibility,
    existing_customer,
    existing_customer_exception,
    own_customer_subsequent_purchase,
    parse_kind,
    purchase_on_registered_domain,
    registered_before_purchase,
    related_domains,
    same_commission_referral_or_resale,
)
from rules.db import models  # noqa: E402
from rules.errors import BadInput  # noqa: E402
from rules.lead_availability import Registration  # noqa: E402
from rules.parameters import parameter  # noqa: E402

D = dt.date


def reg(registered_on: dt.date, expires_on: dt.date | None = None, domain: str = "acme.com") -> Registration:
    return Registration("p1", domain, registered_on, expires_on or registered_on.replace(year=registered_on.year + 1))


def test_bought_after_joining_counts_the_joining_day():
    partner = Partner("p1", "partner", D(2020, 6, 1))
    assert bought_after_joining(partner, D(2020, 6, 1))
    assert bought_after_joining(partner, D(2020, 6, 2))
    assert not bought_after_joining(partner, D(2020, 5, 31))


@pytest.mark.parametrize(
    "registrations, purchased_on, status",
    [
        ([reg(D(2020, 1, 10))], D(2020, 1, 10), "registered"),
        ([reg(D(2020, 1, 10))], D(2021, 1, 9), "registered"),
        ([reg(D(2020, 1, 10))], D(2021, 1, 10), "registration_expired"),
        ([reg(D(2020, 1, 10))], D(2020, 1, 9), "registered_after_purchase"),
        ([], D(2020, 1, 9), "not_registered"),
        ([reg(D(2018, 1, 10)), reg(D(2020, 1, 10))], D(2019, 6, 1), "registered_after_purchase"),
        ([reg(D(2018, 1, 10)), reg(D(2019, 1, 10))], D(2019, 6, 1), "registered"),
    ],
)
def test_registered_before_purchase(registrations, purchased_on, status):
    assert registered_before_purchase(registrations, purchased_on)[0] == status


@pytest.mark.parametrize(
    "one, other, related",
    [
        ("acme.com", "shop.acme.com", True),
        ("shop.acme.com", "acme.com", True),
        ("acme.com", "acme.com.br", True),
        ("acme.co.uk", "acme.com", True),
        ("acme.com", "acme.io", True),
        ("acme.com", "acme.com", False),  # the same domain is not "a different one"
        ("acme.com", "acmeinc.com", False),
        ("acme.com", "notacme.com", False),
    ],
)
def test_related_domains(one, other, related):
    assert related_domains(one, other) is related


def test_purchase_on_registered_domain():
    assert purchase_on_registered_domain([reg(D(2020, 1, 1))], [])
    assert purchase_on_registered_domain([], [])  # nothing registered at all: the registration rule says why
    assert not purchase_on_registered_domain([], [reg(D(2020, 1, 1), domain="acme.com")])


def test_existing_customer_exception_reads_its_parameter():
    exception = parameter("commission.existing_customer_exception", D(2020, 1, 1))
    sales = CustomerHistory("existing", "subscriptions", ["sales_hub_starter"])
    service = CustomerHistory("existing", "subscriptions", ["service_hub_enterprise"])
    assert existing_customer(sales) and not existing_customer(CustomerHistory("own", "subscriptions"))
    assert existing_customer_exception(sales, "marketing_hub_professional", exception)
    assert existing_customer_exception(sales, "marketing_hub_enterprise", exception)
    assert not existing_customer_exception(sales, "marketing_hub_starter", exception)
    assert not existing_customer_exception(service, "marketing_hub_enterprise", exception)


@pytest.mark.parametrize(
    "package, first, purchased_on, managing, earns, failing",
    [
        ("provider", D(2020, 1, 15), D(2020, 12, 31), False, True, None),
        ("provider", D(2020, 1, 15), D(2021, 1, 1), False, False, "own_customer_term_ended"),
        ("partner", D(2020, 1, 15), D(2025, 3, 31), False, True, None),
        ("partner", D(2020, 1, 15), D(2025, 4, 1), False, False, "legacy_not_managing"),
        ("partner", D(2020, 1, 15), D(2025, 4, 1), True, True, None),
        ("partner", D(2023, 3, 31), D(2030, 1, 1), True, True, None),  # legacy: lifetime while managing
        ("partner", D(2023, 4, 1), D(2026, 3, 31), False, True, None),
        ("partner", D(2023, 4, 1), D(2026, 4, 1), True, False, "own_customer_term_ended"),
    ],
)
def test_own_customer_subsequent_purchase(package, first, purchased_on, managing, earns, failing):
    partner = Partner("p1", package, D(2018, 1, 1))
    history = CustomerHistory("own", "subscriptions", ["sales_hub_starter"], first_purchase=first)
    got, used, code = own_customer_subsequent_purchase(partner, history, purchased_on, managing)
    assert (got, code) == (earns, failing)
    assert used and used[0].name == f"commission.{package}.term_months"


def test_referral_and_resale_are_the_same():
    kinds = parameter("commission.same_commission_for", D(2020, 1, 1))
    assert same_commission_referral_or_resale("referral", kinds) and same_commission_referral_or_resale("resale", kinds)
    assert parse_kind(" Referral ") == "referral"
    with pytest.raises(BadInput):
        parse_kind("affiliate")


def test_referral_and_resale_give_the_same_verdict(commission_engine):
    insert_situation(commission_engine, {
        "partners": [{"partner_id": "p1"}],
        "registrations": [{"partner_id": "p1", "domain": "acme.com", "registered_on": "2020-01-10"}],
    })
    with commission_engine.connect() as conn:
        for day, expected in ((D(2020, 2, 1), "eligible"), (D(2019, 2, 1), "not_eligible")):
            resale = commission_eligibility(conn, "p1", "acme.com", "sales_hub_starter", day, "resale").as_dict("en")
            referral = commission_eligibility(conn, "p1", "acme.com", "sales_hub_starter", day, "referral").as_dict("en")
            assert resale["verdict"] == referral["verdict"] == expected
            assert resale["reasons"] == referral["reasons"]


def test_eligibility_only_reads(commission_engine):
    insert_situation(commission_engine, {
        "partners": [{"partner_id": "p1"}],
        "registrations": [{"partner_id": "p1", "domain": "acme.com", "registered_on": "2020-01-10"}],
        "subscriptions": [{"domain": "acme.com", "product": "sales_hub_starter", "started_on": "2020-02-01", "sold_by": "p1"}],
    })

    def counts():
        with commission_engine.connect() as conn:
            return [conn.execute(select(func.count()).select_from(t)).scalar() for t in models.metadata.sorted_tables]

    before = counts()
    with commission_engine.connect() as conn:
        commission_eligibility(conn, "p1", "acme.com", "addon_reporting", "2020-06-01")
    assert counts() == before


def test_a_partners_registration_of_another_domain_is_never_shown_for_an_unrelated_purchase(commission_engine):
    insert_situation(commission_engine, {
        "partners": [{"partner_id": "p1"}],
        "registrations": [{"partner_id": "p1", "domain": "other.com", "registered_on": "2020-01-10"}],
    })
    with commission_engine.connect() as conn:
        out = commission_eligibility(conn, "p1", "acme.com", "sales_hub_starter", "2020-02-01").as_dict("en")
    assert [r["code"] for r in out["reasons"]] == ["not_registered"]
    assert "other.com" not in str(out)
