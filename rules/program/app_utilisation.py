"""App utilisation: the average number of counted apps in use across the partner's accounts.

FAQ — "Qual é a métrica de utilização média de aplicativos?" and "Quantos aplicativos temos
no produto para a média de adoção de aplicativos? Quais são eles?"
"""
from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from rules.db.models import app_usage, managed_accounts, subscriptions
from rules.parameters import parameter
from rules.program.partner_record import find_partner
from rules.program.periods import months_before
from rules.result import Reason, Step, Trace, Verdict
from rules.texts import text

FAQ = "Qual é a métrica de utilização média de aplicativos?"
FAQ_APPS = "Quantos aplicativos temos no produto para a média de adoção de aplicativos? Quais são eles?"
TEXTS = "program_apps"


def accounts_sold_recently(conn: Connection, partner_id: str, sold_after: dt.date, as_of: dt.date) -> dict:
    """Domains with a subscription credited to the partner that started after `sold_after`, up to `as_of`.

    "Essa métrica avalia as contas que você vendeu nos últimos 12 meses": {domain: first sale in the window}.
    """
    rows = conn.execute(
        select(subscriptions.c.domain, subscriptions.c.started_on)
        .where(
            subscriptions.c.sold_by == partner_id,
            subscriptions.c.started_on > sold_after,
            subscriptions.c.started_on <= as_of,
        )
        .order_by(subscriptions.c.started_on)
    )
    sold: dict = {}
    for domain, started_on in rows:
        sold.setdefault(domain, started_on)
    return sold


def accounts_managed_now(conn: Connection, partner_id: str, as_of: dt.date) -> dict:
    """Domains the partner manages on `as_of` ("as contas que está gerenciando no momento"): {domain: managed_since}."""
    rows = conn.execute(
        select(managed_accounts.c.domain, managed_accounts.c.managed_since).where(
            managed_accounts.c.partner_id == partner_id,
            or_(managed_accounts.c.managed_since.is_(None), managed_accounts.c.managed_since <= as_of),
        )
    )
    return {domain: since for domain, since in rows}


def apps_in_use(conn: Connection, domains: set) -> dict:
    """{domain: set of app codes in use now} for the given accounts (lower-case codes)."""
    in_use: dict = {domain: set() for domain in domains}
    if not domains:
        return in_use
    # Chunked so a partner with thousands of accounts stays within any database's bind-parameter limit.
    ordered = sorted(domains)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        for domain, app in conn.execute(select(app_usage.c.domain, app_usage.c.app).where(app_usage.c.domain.in_(chunk))):
            in_use[domain].add((app or "").strip().lower())
    return in_use


def average_apps(counts: list[int]) -> Fraction:
    """The exact average of counted apps per account (never rounded before comparing)."""
    return Fraction(sum(counts), len(counts))


def meets_average(average: Fraction, minimum) -> bool:
    """"ter uma utilização média de aplicativos equivalente a 3 ou mais" — exactly 3 meets it."""
    return average >= Fraction(str(minimum))


def shown(value: Fraction) -> float:
    """The average for people: two decimals, cut down so a short average never shows as the minimum."""
    return float((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def app_utilisation(conn: Connection, partner_id: str, as_of: dt.date) -> Verdict:
    """Does the partner's average app utilisation reach the minimum?

    FAQ "Qual é a métrica de utilização média de aplicativos?": "Uma das qualificações para
    parceiros de soluções é ter uma utilização média de aplicativos equivalente a 3 ou mais,
    entre o HubSpot Marketing Hub, Sales Hub e/ou Service Hub. Essa métrica avalia as contas
    que você vendeu nos últimos 12 meses e as contas que está gerenciando no momento."
    Counted apps: the FAQ's table (program.apps.counted_apps). Each account counts once even
    when it was both sold and is managed. Verdict: meets | below | no_accounts.
    """
    partner = find_partner(conn, partner_id)
    minimum = parameter("program.apps.minimum_average", as_of)
    lookback = parameter("program.apps.sold_lookback_months", as_of)
    counted_apps = parameter("program.apps.counted_apps", as_of)
    counted_codes = {app["code"] for app in counted_apps.value}
    trace = Trace()

    sold_after = months_before(as_of, lookback.value)
    sold = accounts_sold_recently(conn, partner["partner_id"], sold_after, as_of)
    managed = accounts_managed_now(conn, partner["partner_id"], as_of)
    trace.rule("accounts_sold_recently", len(sold), lookback, faq=FAQ)
    trace.rule("accounts_managed_now", len(managed), faq=FAQ)
    domains = set(sold) | set(managed)

    base = {
        "check": "app_utilisation",
        "as_of": as_of.isoformat(),
        "package": partner["package"],
        "minimum_average": minimum.value,
        "sold_window": {"after": sold_after.isoformat(), "through": as_of.isoformat(), "months": lookback.value},
        "apps_that_count": len(counted_codes),
    }
    if not domains:
        trace.rule("average_app_utilisation", None, minimum, faq=FAQ)
        values = {"months": lookback.value, "minimum": minimum.value}
        return Verdict(
            subject=partner["partner_id"],
            verdict="no_accounts",
            reasons=[Reason.from_texts(TEXTS, "no_accounts", **values)],
            next_steps=[Step.from_texts(TEXTS, "sell_or_manage_accounts", **values)],
            trace=trace,
            data={**base, "average": None, "accounts_counted": 0, "total_counted_apps": 0, "accounts": []},
            summary=_summary("summary_no_accounts", **values),
        )

    in_use = apps_in_use(conn, domains)
    accounts = []
    for domain in sorted(domains):
        apps = in_use[domain]
        counted = sorted(apps & counted_codes)
        accounts.append({
            "domain": domain,
            "sources": [s for s, d in (("sold", sold), ("managed", managed)) if domain in d],
            "sold_on": sold[domain].isoformat() if domain in sold else None,
            "counted_apps": len(counted),
            "apps": counted,
            "apps_not_counted": sorted(apps - counted_codes - {""}),
        })
    counts = [a["counted_apps"] for a in accounts]
    average = average_apps(counts)
    meets = meets_average(average, minimum.value)
    trace.rule("average_app_utilisation", meets, minimum, faq=FAQ)
    trace.rule("counted_apps", len(counted_codes), counted_apps, faq=FAQ_APPS)

    missing = max(0, math.ceil(Fraction(str(minimum.value)) * len(counts)) - sum(counts))
    values = {
        "average": f"{shown(average):.2f}",
        "accounts": len(accounts),
        "total": sum(counts),
        "minimum": minimum.value,
        "months": lookback.value,
        "missing": missing,
    }
    verdict = "meets" if meets else "below"
    steps = [] if meets else [Step.from_texts(TEXTS, "increase_app_adoption", **values)]
    return Verdict(
        subject=partner["partner_id"],
        verdict=verdict,
        reasons=[Reason.from_texts(TEXTS, f"average_{verdict}", **values)],
        next_steps=steps,
        trace=trace,
        data={
            **base,
            "average": shown(average),
            "average_exact": f"{average.numerator}/{average.denominator}",
            "accounts_counted": len(accounts),
            "total_counted_apps": sum(counts),
            "apps_short_of_minimum": missing,
            "accounts": accounts,
        },
        summary=_summary(f"summary_{verdict}", **values),
    )


def _summary(code: str, **values) -> dict:
    return {lang: text(TEXTS, code, lang, **values) for lang in ("pt", "en")}
