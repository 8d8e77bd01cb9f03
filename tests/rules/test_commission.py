"""The commission estimate's rules one by one: payout dates, quarters, rounding, parsing, the policy
and trace it reports, and hypothesis properties of the arithmetic."""
from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import rules.commission as commission
from rules.commission import (
    Change,
    Line,
    Quarter,
    estimate_commission,
    parse_change,
    parse_line,
    parse_month,
    parse_months,
    parse_price,
    payout_date,
    payout_quarter,
)
from rules.errors import BadInput

CENT = Decimal("0.01")


# --------------------------------------------------------------------------- payout dates and quarters


@pytest.mark.parametrize(
    "quarter, paid_on",
    [
        (Quarter(2019, 1), "2019-05-15"),  # FAQ example's first quarter
        (Quarter(2019, 2), "2019-08-14"),
        (Quarter(2019, 3), "2019-11-14"),
        (Quarter(2019, 4), "2020-02-14"),  # year end → next year
        (Quarter(2023, 4), "2024-02-14"),  # into a leap year's February
        (Quarter(2024, 1), "2024-05-15"),  # leap year Q1: 2024-03-31 + 45
        (Quarter(2024, 4), "2025-02-14"),
        (Quarter(2020, 1), "2020-05-15"),
        (Quarter(2100, 1), "2100-05-15"),  # 2100 is not a leap year
    ],
)
def test_payout_date_is_45_days_after_the_quarter_closes(quarter, paid_on):
    day, parameter = payout_date(quarter)
    assert day.isoformat() == paid_on
    assert parameter.name == "commission.payout.days_after_quarter_end" and parameter.value == 45
    assert day - quarter.last_day == dt.timedelta(days=45)


@pytest.mark.parametrize(
    "month, quarter, last_day",
    [
        ("2019-01", "2019-Q1", "2019-03-31"),
        ("2019-03", "2019-Q1", "2019-03-31"),
        ("2019-04", "2019-Q2", "2019-06-30"),
        ("2019-09", "2019-Q3", "2019-09-30"),
        ("2019-10", "2019-Q4", "2019-12-31"),
        ("2019-12", "2019-Q4", "2019-12-31"),
        ("2024-02", "2024-Q1", "2024-03-31"),
    ],
)
def test_payout_quarter_of_a_month(month, quarter, last_day):
    q = payout_quarter(parse_month(month))
    assert str(q) == quarter and q.last_day.isoformat() == last_day


def test_add_months_across_year_ends():
    assert commission.add_months(dt.date(2019, 12, 1), 1) == dt.date(2020, 1, 1)
    assert commission.add_months(dt.date(2019, 1, 1), 11) == dt.date(2019, 12, 1)
    assert commission.add_months(dt.date(2019, 1, 1), -1) == dt.date(2018, 12, 1)
    assert commission.months_between(dt.date(2019, 1, 1), dt.date(2025, 4, 1)) == 75


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    "text, product, price",
    [
        ("sales_hub_starter=50", "sales_hub_starter", "50"),
        ("Sales Hub Pro=400", "sales_hub_professional", "400"),
        ("Sales Starter = US$ 50", "sales_hub_starter", "50"),
        ("marketing professional=800,00", "marketing_hub_professional", "800.00"),
        ("Marketing Hub Profissional = 800", "marketing_hub_professional", "800"),
        ("CMS Hub Enterprise=1200", "content_hub_enterprise", "1200"),
        ("cms_hub_starter=25", "content_hub_starter", "25"),
        ("Content Hub Pro=$450", "content_hub_professional", "450"),
        ("ops hub pro=720", "operations_hub_professional", "720"),
        ("HubSpot Service Hub Starter=20", "service_hub_starter", "20"),
        ("sales-hub-professional=1", "sales_hub_professional", "1"),
        ("Commerce Hub Enterprise=0", "commerce_hub_enterprise", "0"),
        ("Complemento de relatórios=200", "addon_reporting", "200"),
        ("addon_transactional_email=100", "addon_transactional_email", "100"),
        ("Additional seats=49.99", "addon_additional_seats", "49.99"),
        ("  ADS ADD-ON =  10.5 ", "addon_ads", "10.5"),
    ],
)
def test_parse_line_accepts_codes_and_common_spellings(text, product, price):
    line = parse_line(text)
    assert line == Line(product, Decimal(price))


@pytest.mark.parametrize(
    "text, error",
    [
        ("sales_hub_starter", "bad_line"),
        ("sales_hub_starter=", "bad_line"),
        ("=50", "bad_line"),
        ("a=b=c", "bad_line"),
        ("sales_hub_diamond=50", "unknown_product"),
        ("sales_hub_starter=-1", "negative_price"),
        ("sales_hub_starter=−1", "negative_price"),  # a typographic minus
        ("sales_hub_starter=1.234", "bad_price"),
        ("sales_hub_starter=1,234.50", "bad_price"),
        ("sales_hub_starter=٥٠", "bad_price"),  # non-ASCII digits
        ("sales_hub_starter=1000000.01", "price_too_high"),
        ("x" * 400 + "=1", "bad_line"),
    ],
)
def test_parse_line_refuses_bad_input(text, error):
    with pytest.raises(BadInput) as raised:
        parse_line(text)
    assert raised.value.code == error


def test_parse_line_refuses_non_text():
    with pytest.raises(BadInput):
        parse_line(None)
    with pytest.raises(BadInput):
        parse_line(50)


def test_parse_change():
    assert parse_change("2019-07:sales_hub_professional=400") == Change(dt.date(2019, 7, 1), "sales_hub_professional", Decimal(400))
    assert parse_change(" 2019-07 : Sales Hub Pro = 0 ") == Change(dt.date(2019, 7, 1), "sales_hub_professional", Decimal(0))
    assert str(parse_change("2019-07:sales_hub_starter=0")) == "2019-07:sales_hub_starter=0"
    for bad, code in [("2019-07", "bad_change"), ("2019-07:", "bad_change"), ("2019-13:sales_hub_starter=1", "bad_month"),
                      ("July:sales_hub_starter=1", "bad_month"), ("2019-07:sales_hub_starter=-2", "negative_price")]:
        with pytest.raises(BadInput) as raised:
            parse_change(bad)
        assert raised.value.code == code, bad


def test_parse_price_from_numbers():
    assert parse_price(Decimal("49.99")) == Decimal("49.99")
    assert parse_price(50) == Decimal(50)
    assert parse_price(49.5) == Decimal("49.5")
    assert parse_price("-0") == 0  # "minus nothing" is nothing, not a negative price
    for bad in (True, float("nan"), float("inf"), Decimal("NaN"), Decimal("1.001"), 1e20, [50]):
        with pytest.raises(BadInput):
            parse_price(bad)


def test_parse_months():
    assert parse_months(None) is None
    assert parse_months("12") == 12 and parse_months(600) == 600 and parse_months(" 1 ") == 1
    for bad in ("0", 0, -1, "601", 601, "1.5", "x", "", True, 12.0, "²"):
        with pytest.raises(BadInput) as raised:
            parse_months(bad)
        assert raised.value.code == "bad_months", bad


def test_parse_month():
    assert parse_month("2019-01") == dt.date(2019, 1, 1)
    assert parse_month(dt.date(2019, 1, 17)) == dt.date(2019, 1, 1)
    for bad in ("2019-1", "2019-13", "2019-00", "0000-01", "2019/01", "201901", None, 201901):
        with pytest.raises(BadInput) as raised:
            parse_month(bad)
        assert raised.value.code == "bad_month", bad


def test_the_api_takes_parsed_lines_and_changes_too():
    by_text = estimate_commission("provider", "2019-01", ["sales_hub_starter=50"], ["2019-07:sales_hub_professional=400"])
    by_objects = estimate_commission("provider", dt.date(2019, 1, 1), [parse_line("sales_hub_starter=50")],
                                     [parse_change("2019-07:sales_hub_professional=400")])
    assert by_text.as_dict("en") == by_objects.as_dict("en")


# --------------------------------------------------------------------------- policy, trace, JSON shape


CONTRACT_KEYS = {"package": str, "rate": float, "months_counted": int, "revenue_counted": float, "total": float,
                 "currency": str, "payouts": list, "policy": str}


def test_the_contract_json_shape():
    out = estimate_commission("provider", "2019-01", ["sales_hub_starter=50"],
                              ["2019-07:sales_hub_starter=0", "2019-07:sales_hub_professional=400"]).as_dict("en")
    for key, kind in CONTRACT_KEYS.items():
        assert isinstance(out[key], kind), key
    assert out["package"] == "provider" and out["rate"] == 0.2 and out["months_counted"] == 12
    assert out["revenue_counted"] == 2700.0 and out["total"] == 540.0 and out["currency"] == "USD"
    assert out["payouts"][0] == {"quarter": "2019-Q1", "amount": 30.0, "paid_on": "2019-05-15",
                                 "revenue": 150.0, "months": ["2019-01", "2019-02", "2019-03"]}
    assert {"summary", "notes", "explanations", "trace", "policy_version"} <= set(out)
    json.dumps(out)  # plain JSON, no Decimal or dates left


def test_policy_names_the_version_and_every_parameter_applied():
    result = estimate_commission("partner", "2023-04", ["sales_hub_starter=50"])
    for lang in ("en", "pt"):
        policy = result.as_dict(lang)["policy"]
        assert "partner-2023-04-01" in policy
        for name in ("commission.partner.rate=0.2", "commission.partner.term_months=36",
                     "commission.payout.days_after_quarter_end=45"):
            assert name in policy, (lang, name)
    assert result.as_dict("pt")["policy"] != result.as_dict("en")["policy"]
    provider = estimate_commission("provider", "2019-01", ["sales_hub_starter=50"]).as_dict("en")
    assert provider["policy_version"] == "provider-2018-01-01" and "commission.provider.term_months=12" in provider["policy"]


def test_trace_names_the_rules_with_parameters_and_sources():
    trace = estimate_commission("provider", "2019-01", ["sales_hub_starter=50"]).as_dict("en")["trace"]
    by_rule = {entry["rule"]: entry for entry in trace}
    assert {"commission_rate", "commission_term", "estimate_horizon", "payout_date", "round_money",
            "same_commission_referral_or_resale"} <= set(by_rule)
    rate = by_rule["commission_rate"]["parameters"][0]
    assert rate["parameter"] == "commission.provider.rate" and rate["value"] == 0.2
    assert rate["effective"] == "2018-01-01" and "FAQ" in rate["source"]
    assert by_rule["commission_rate"]["faq"].startswith("Quanto ganho de comissão")
    assert by_rule["payout_date"]["faq"] == "Como recebo comissões de parceiro?"


def test_summary_is_one_sentence_in_each_language():
    result = estimate_commission("provider", "2019-01", ["sales_hub_starter=50"],
                                 ["2019-07:sales_hub_professional=400"])
    assert "US$ 540.00" in result.summary("en") and "US$ 2,700.00" in result.summary("en")
    assert "US$ 540,00" in result.summary("pt") and "US$ 2.700,00" in result.summary("pt")
    nothing = estimate_commission("provider", "2019-01", ["sales_hub_starter=0"])
    assert "pays nothing" in nothing.summary("en") and "não paga nada" in nothing.summary("pt")


def test_partner_rate_and_term_come_from_the_dated_parameters_on_the_close_date():
    before = estimate_commission("partner", "2023-03", ["sales_hub_starter=50"], months=36)
    after = estimate_commission("partner", "2023-04", ["sales_hub_starter=50"], months=36)
    assert before.term["kind"] == "legacy_lifetime" and before.months == 25
    assert after.term == {"months": 36, "kind": "months", "horizon_from": "months"} and after.months == 36
    assert before.rate == after.rate == Decimal("0.2")


def test_months_required_when_a_lifetime_term_has_no_legacy_end(monkeypatch):
    monkeypatch.setattr(commission, "legacy_lifetime_end", lambda package, month: None)
    with pytest.raises(BadInput) as raised:
        estimate_commission("partner", "2019-01", ["sales_hub_starter=50"])
    assert raised.value.code == "months_required"
    assert "--months" in raised.value.message("en") and "--months" in raised.value.message("pt")
    endless = estimate_commission("partner", "2019-01", ["sales_hub_starter=50"], months=120)
    assert endless.months == 120 and endless.total == Decimal("1200.00")
    assert "term_lifetime" in [n.code for n in endless.notes]


def test_estimate_never_touches_the_database(monkeypatch):
    import rules.db.session as session

    monkeypatch.setattr(session, "make_engine", lambda *a, **k: pytest.fail("the estimate opened a database"))
    estimate_commission("partner", "2019-01", ["sales_hub_starter=50"], months=12)


# --------------------------------------------------------------------------- properties

HUBS = ("marketing", "sales", "service", "content", "operations", "commerce")
EDITIONS = ("starter", "professional", "enterprise")
ADDONS = ("addon_reporting", "addon_ads", "addon_transactional_email", "addon_additional_seats")
PRODUCTS = tuple(f"{h}_hub_{e}" for h in HUBS for e in EDITIONS) + ADDONS


def _hub(code: str) -> str:
    return code.split("_hub_")[0] if "_hub_" in code else code


prices = st.decimals(min_value=0, max_value=Decimal("20000"), places=2)
lines_strategy = st.lists(st.tuples(st.sampled_from(PRODUCTS), prices), max_size=5, unique_by=lambda t: _hub(t[0]))
changes_strategy = st.lists(st.tuples(st.integers(0, 40), st.sampled_from(PRODUCTS), prices), max_size=6,
                            unique_by=lambda t: (t[0], _hub(t[1])))
starts = st.builds(lambda n: commission.add_months(dt.date(2018, 1, 1), n), st.integers(0, 12 * 15))


def _run(package, start, lines, changes, months, still_managing=False):
    line_texts = [f"{p}={v}" for p, v in lines]
    change_texts = [f"{commission.month_label(commission.add_months(start, n))}:{p}={v}" for n, p, v in changes]
    if not line_texts and not change_texts:
        line_texts = ["sales_hub_starter=1"]
    try:
        return estimate_commission(package, start, line_texts, change_texts, months, still_managing=still_managing)
    except BadInput as exc:
        assume(exc.code not in ("months_required_legacy", "two_editions"))
        raise


common = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(st.sampled_from(["provider", "partner"]), starts, lines_strategy, changes_strategy,
       st.one_of(st.none(), st.integers(1, 120)), st.booleans())
def test_estimate_arithmetic_properties(package, start, lines, changes, months, still_managing):
    result = _run(package, start, lines, changes, months, still_managing)
    amounts = [p.amount for p in result.payouts]
    # Payouts add up exactly to the total; rounding happens once, on the cumulative amount.
    assert sum(amounts, Decimal(0)) == result.total
    assert result.total == (result.rate * result.revenue).quantize(CENT, rounding=ROUND_HALF_UP)
    assert result.total >= 0 and all(a >= 0 for a in amounts)
    assert all(a == a.quantize(CENT) for a in amounts)
    # Revenue and months counted are what the months say.
    assert result.revenue == sum((paid for _, paid in result.monthly), Decimal(0))
    assert result.months_counted == sum(1 for _, paid in result.monthly if paid > 0) <= result.months
    # Quarters in order, each paid 45 days after it closes, containing only paid months.
    quarters = [p.quarter for p in result.payouts]
    assert quarters == sorted(quarters, key=lambda q: (q.year, q.number)) and len(set(quarters)) == len(quarters)
    for payout in result.payouts:
        assert payout.paid_on == payout.quarter.last_day + dt.timedelta(days=45)
        assert all(Quarter.of(m) == payout.quarter for m in payout.months)
    # The JSON floats are the exact cents.
    out = result.as_dict("en")
    assert Decimal(repr(out["total"])) == result.total
    assert Decimal(repr(out["revenue_counted"])) == result.revenue
    assert sum((Decimal(repr(p["amount"])) for p in out["payouts"]), Decimal(0)) == result.total


@common
@given(st.sampled_from(["provider", "partner"]), starts, lines_strategy, changes_strategy, st.integers(1, 100))
def test_one_more_month_never_lowers_the_total(package, start, lines, changes, months):
    shorter = _run(package, start, lines, changes, months)
    longer = _run(package, start, lines, changes, months + 1)
    assert longer.total >= shorter.total
    assert longer.revenue >= shorter.revenue
    assert longer.months_counted >= shorter.months_counted


@common
@given(st.sampled_from(["provider", "partner"]), starts, lines_strategy, st.integers(1, 60), prices)
def test_an_add_on_adds_rate_times_its_revenue(package, start, lines, months, price):
    lines = [(p, v) for p, v in lines if p != "addon_ads"] or [("sales_hub_starter", Decimal(1))]
    base = _run(package, start, lines, [], months)
    more = _run(package, start, lines + [("addon_ads", price)], [], months)
    assert more.revenue == base.revenue + price * base.months
    assert more.total >= base.total


@common
@given(starts, lines_strategy, changes_strategy)
def test_order_of_lines_and_changes_does_not_matter(start, lines, changes):
    one = _run("provider", start, lines, changes, None)
    other = _run("provider", start, list(reversed(lines)), list(reversed(changes)), None)
    assert (one.total, one.revenue, [p.amount for p in one.payouts]) == (other.total, other.revenue, [p.amount for p in other.payouts])
