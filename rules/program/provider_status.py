"""Solutions Provider status: activation (the three steps) and staying active (resale each quarter, own subscription).

FAQ — "O que eu preciso fazer para ser um fornecedor de soluções?"
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from rules.db.models import registrations, subscriptions
from rules.domains import InvalidDomain, normalise_domain
from rules.parameters import Parameter, parameter
from rules.program.partner_record import find_partner
from rules.program.periods import Quarter
from rules.result import Reason, Step, Trace, Verdict
from rules.texts import text

FAQ = "O que eu preciso fazer para ser um fornecedor de soluções?"
TEXTS = "program_provider"
PROVIDER = "provider"


# --- facts ---------------------------------------------------------------------------------


def product_edition(product: str, editions: list) -> str | None:
    """The edition a product code ends with (`sales_hub_starter` → `starter`), None for add-ons and unknown codes."""
    for token in reversed((product or "").lower().replace("-", "_").split("_")):
        if token in editions:
            return token
    return None


def product_label(product: str) -> str:
    """`sales_hub_starter` → `Sales Hub Starter`, for people."""
    return " ".join(part.capitalize() if part not in {"crm", "cms"} else part.upper() for part in product.split("_"))


def edition_at_least(edition: str | None, minimum: str, editions: list) -> bool:
    """Whether `edition` is `minimum` or higher in the editions order ("Não precisa ser a categoria mais alta")."""
    return edition in editions and editions.index(edition) >= editions.index(minimum)


def subscription_active_on(day: dt.date):
    """SQL condition: the subscription runs on `day` (from started_on, up to but not including ended_on)."""
    return and_(
        subscriptions.c.started_on <= day,
        or_(subscriptions.c.ended_on.is_(None), subscriptions.c.ended_on > day),
    )


def own_account_domain(partner: dict) -> str | None:
    """The partner's own HubSpot account (partners.domain), normalised; None when unknown or unusable."""
    try:
        return normalise_domain(partner["domain"]) if partner.get("domain") else None
    except InvalidDomain:
        return None


def own_subscriptions(conn: Connection, domain: str | None, as_of: dt.date, running_only: bool = True) -> list[dict]:
    """Subscriptions on the partner's own HubSpot account: running on `as_of`, or (running_only=False)
    every one bought by `as_of`, ended or not."""
    if domain is None:
        return []
    when = subscription_active_on(as_of) if running_only else subscriptions.c.started_on <= as_of
    rows = conn.execute(
        select(subscriptions.c.product, subscriptions.c.started_on, subscriptions.c.ended_on)
        .where(subscriptions.c.domain == domain, when)
        .order_by(subscriptions.c.started_on, subscriptions.c.product)
    ).mappings()
    return [dict(row) for row in rows]


def qualifying_subscriptions(owned: list[dict], minimum: Parameter, editions: Parameter) -> list[dict]:
    """The subscriptions given that are of the minimum edition or higher ("requisito mínimo de produto: Starter")."""
    return [
        row
        for row in owned
        if edition_at_least(product_edition(row["product"], editions.value), minimum.value, editions.value)
    ]


def first_registration_on(conn: Connection, partner_id: str, as_of: dt.date) -> dt.date | None:
    """The day the partner registered its first lead, on or before `as_of` ("Registre seu primeiro lead")."""
    return conn.execute(
        select(registrations.c.registered_on)
        .where(registrations.c.partner_id == partner_id, registrations.c.registered_on <= as_of)
        .order_by(registrations.c.registered_on)
        .limit(1)
    ).scalar()


def products_resold(conn: Connection, partner_id: str, first_day: dt.date, last_day: dt.date) -> list[dict]:
    """Products credited to the partner (subscriptions.sold_by) that started between two days, both included."""
    rows = conn.execute(
        select(subscriptions.c.domain, subscriptions.c.product, subscriptions.c.started_on)
        .where(
            subscriptions.c.sold_by == partner_id,
            subscriptions.c.started_on >= first_day,
            subscriptions.c.started_on <= last_day,
        )
        .order_by(subscriptions.c.started_on, subscriptions.c.domain, subscriptions.c.product)
    ).mappings()
    return [dict(row) for row in rows]


def _iso(row: dict) -> dict:
    return {key: (value.isoformat() if isinstance(value, dt.date) else value) for key, value in row.items()}


def _edition_name(edition: str) -> str:
    return edition.capitalize()


# --- activation ----------------------------------------------------------------------------


def _activation(conn: Connection, partner: dict, as_of: dt.date, trace: Trace) -> tuple[list, list, dict]:
    """Reasons, next steps and figures of the three activation steps."""
    minimum = parameter("program.provider.minimum_edition", as_of)
    editions = parameter("program.provider.editions", as_of)
    minimum_name = _edition_name(minimum.value)
    reasons, steps = [], []

    # Step 1 — "Envie um cadastro aqui (Pacote Solutions Provider)": the partners row with package provider.
    applied = {"step": "applied", "done": True, "joined_on": partner["joined_on"].isoformat()}
    trace.rule("applied_to_provider_package", True, faq=FAQ)

    # Step 2 — "Se ainda não tiver feito isso, compre um produto da HubSpot (requisito mínimo de
    # produto: Starter)": a purchase made by as_of. Keeping it running is the standing rule
    # ("Manter e usar sua assinatura"), so a provider who cancels later stays activated but at risk.
    domain = own_account_domain(partner)
    owned = own_subscriptions(conn, domain, as_of, running_only=False)
    qualifying = qualifying_subscriptions(owned, minimum, editions)
    bought = {
        "step": "bought_minimum_product",
        "done": bool(qualifying),
        "own_domain": domain,
        "subscriptions": [_iso(row) for row in qualifying],
    }
    trace.rule("bought_minimum_product", bool(qualifying), minimum, editions, faq=FAQ)
    if domain is None:
        reasons.append(Reason.from_texts(TEXTS, "no_own_account_on_record", minimum=minimum_name))
        steps.append(Step.from_texts(TEXTS, "confirm_own_account", minimum=minimum_name))
    elif not qualifying:
        held = ", ".join(product_label(row["product"]) for row in owned)
        code = "own_subscription_below_minimum" if owned else "no_own_subscription"
        reasons.append(Reason.from_texts(TEXTS, code, minimum=minimum_name, domain=domain, held=held))
        steps.append(Step.from_texts(TEXTS, "buy_minimum_product", minimum=minimum_name))

    # Step 3 — "Registre seu primeiro lead e você será oficialmente um fornecedor de soluções ativado".
    first_lead = first_registration_on(conn, partner["partner_id"], as_of)
    registered = {
        "step": "registered_first_lead",
        "done": first_lead is not None,
        "first_registered_on": first_lead.isoformat() if first_lead else None,
    }
    trace.rule("registered_first_lead", first_lead is not None, faq=FAQ)
    if first_lead is None:
        reasons.append(Reason.from_texts(TEXTS, "no_lead_registered"))
        steps.append(Step.from_texts(TEXTS, "register_first_lead"))

    activated = not reasons
    if activated:
        reasons.append(
            Reason.from_texts(TEXTS, "activation_complete", minimum=minimum_name, first_lead_on=first_lead.isoformat())
        )
    figures = {
        "activation": "activated" if activated else "not_activated",
        "steps": [applied, bought, registered],
        "missing_steps": [s["step"] for s in (applied, bought, registered) if not s["done"]],
    }
    return reasons, steps, figures


# --- staying active ------------------------------------------------------------------------


def _standing(conn: Connection, partner: dict, as_of: dt.date, trace: Trace) -> tuple[list, list, dict]:
    """Reasons, next steps and figures of the two measurable conditions for keeping provider status."""
    per_quarter = parameter("program.provider.products_per_quarter", as_of)
    minimum = parameter("program.provider.minimum_edition", as_of)
    editions = parameter("program.provider.editions", as_of)
    minimum_name = _edition_name(minimum.value)
    expected = per_quarter.value
    reasons, steps, at_risk = [], [], False

    # "revendendo pelo menos um produto da HubSpot por trimestre": this quarter so far…
    quarter = Quarter.of(as_of)
    this_quarter = products_resold(conn, partner["partner_id"], quarter.first_day, as_of)
    met = len(this_quarter) >= expected
    trace.rule("resold_this_quarter", met, per_quarter, faq=FAQ)
    values = dict(quarter=str(quarter), count=len(this_quarter), expected=expected,
                  quarter_end=quarter.last_day.isoformat(), days_left=(quarter.last_day - as_of).days)
    if met:
        reasons.append(Reason.from_texts(TEXTS, "quarter_resale_met", **values))
    else:
        at_risk = True
        reasons.append(Reason.from_texts(TEXTS, "quarter_resale_pending", **values))
        steps.append(Step.from_texts(TEXTS, "resell_this_quarter", **values))

    # …and the previous full quarter, when the partner was in the program all of it.
    previous = quarter.previous()
    last_quarter = products_resold(conn, partner["partner_id"], previous.first_day, previous.last_day)
    counted = partner["joined_on"] <= previous.first_day
    previous_met = len(last_quarter) >= expected if counted else None
    trace.rule("resold_previous_quarter", previous_met, per_quarter, faq=FAQ)
    if previous_met is False:
        at_risk = True
        reasons.append(Reason.from_texts(TEXTS, "previous_quarter_resale_missed",
                                         quarter=str(previous), count=len(last_quarter), expected=expected))

    # "Manter e usar sua assinatura da HubSpot" — Starter or higher, running on as_of.
    domain = own_account_domain(partner)
    qualifying = qualifying_subscriptions(own_subscriptions(conn, domain, as_of), minimum, editions)
    trace.rule("kept_own_subscription", bool(qualifying), minimum, editions, faq=FAQ)
    if qualifying:
        reasons.append(Reason.from_texts(TEXTS, "own_subscription_kept", minimum=minimum_name,
                                         product=product_label(qualifying[0]["product"])))
    else:
        at_risk = True
        reasons.append(Reason.from_texts(TEXTS, "own_subscription_missing", minimum=minimum_name))
        steps.append(Step.from_texts(TEXTS, "keep_subscription", minimum=minimum_name))

    # "Resolver os problemas do cliente" is not in the data: always a next step, never a verdict.
    steps.append(Step.from_texts(TEXTS, "solve_customer_problems"))
    figures = {
        "standing": "at_risk" if at_risk else "active",
        "quarter": {
            "quarter": str(quarter),
            "from": quarter.first_day.isoformat(),
            "to": as_of.isoformat(),
            "quarter_ends_on": quarter.last_day.isoformat(),
            "products_resold": len(this_quarter),
            "expected": expected,
            "met": met,
            "resold": [_iso(row) for row in this_quarter],
        },
        "previous_quarter": {
            "quarter": str(previous),
            "from": previous.first_day.isoformat(),
            "to": previous.last_day.isoformat(),
            "products_resold": len(last_quarter),
            "expected": expected,
            "met": previous_met,
            "counted": counted,
            "resold": [_iso(row) for row in last_quarter],
        },
        "own_subscription": {
            "own_domain": domain,
            "minimum_edition": minimum.value,
            "kept": bool(qualifying),
            "subscriptions": [_iso(row) for row in qualifying],
        },
    }
    return reasons, steps, figures


# --- the rules -----------------------------------------------------------------------------


def _not_a_provider(partner: dict, check: str, as_of: dt.date, trace: Trace) -> Verdict:
    trace.rule("applied_to_provider_package", False, faq=FAQ)
    values = {"name": partner["name"]}
    return Verdict(
        subject=partner["partner_id"],
        verdict="not_applicable",
        reasons=[Reason.from_texts(TEXTS, "partner_package", **values)],
        trace=trace,
        data={"check": check, "as_of": as_of.isoformat(), "package": partner["package"]},
        summary=_summary("summary_not_applicable", **values),
    )


def _summary(code: str, **values) -> dict:
    return {lang: text(TEXTS, code, lang, **values) for lang in ("pt", "en")}


def provider_activation(conn: Connection, partner_id: str, as_of: dt.date) -> Verdict:
    """Has the provider completed the three activation steps?

    FAQ "O que eu preciso fazer para ser um fornecedor de soluções?": "1. Envie um cadastro
    aqui (Pacote Solutions Provider) 2. Se ainda não tiver feito isso, compre um produto da
    HubSpot (requisito mínimo de produto: Starter) 3. Registre seu primeiro lead e você será
    oficialmente um fornecedor de soluções ativado". Verdict: activated | not_activated
    (reasons name each missing step) | not_applicable (Solutions Partner package).
    """
    partner = find_partner(conn, partner_id)
    trace = Trace()
    if partner["package"] != PROVIDER:
        return _not_a_provider(partner, "provider_activation", as_of, trace)
    reasons, steps, figures = _activation(conn, partner, as_of, trace)
    return Verdict(
        subject=partner["partner_id"],
        verdict=figures["activation"],
        reasons=reasons,
        next_steps=steps,
        trace=trace,
        data={"check": "provider_activation", "as_of": as_of.isoformat(), "package": PROVIDER, **figures},
        summary=_summary(f"summary_{figures['activation']}", missing=len(figures["missing_steps"])),
    )


def provider_standing(conn: Connection, partner_id: str, as_of: dt.date) -> Verdict:
    """Is the provider keeping its status: resale each quarter and its own HubSpot subscription?

    FAQ: "Indicar ou revender produtos da HubSpot ativamente. A expectativa é que os
    fornecedores de soluções continuem ativos revendendo pelo menos um produto da HubSpot por
    trimestre." / "Manter e usar sua assinatura da HubSpot … Não precisa ser a categoria mais
    alta de produto da HubSpot, mas é importante manter uma assinatura". Verdict: active |
    at_risk (no resale yet this quarter, the previous full quarter missed, or no Starter-or-higher
    subscription) | not_applicable.
    """
    partner = find_partner(conn, partner_id)
    trace = Trace()
    if partner["package"] != PROVIDER:
        return _not_a_provider(partner, "provider_standing", as_of, trace)
    reasons, steps, figures = _standing(conn, partner, as_of, trace)
    return Verdict(
        subject=partner["partner_id"],
        verdict=figures["standing"],
        reasons=reasons,
        next_steps=steps,
        trace=trace,
        data={"check": "provider_standing", "as_of": as_of.isoformat(), "package": PROVIDER, **figures},
        summary=_summary(f"summary_{figures['standing']}", quarter=figures["quarter"]["quarter"]),
    )


def provider_status(conn: Connection, partner_id: str, as_of: dt.date) -> Verdict:
    """Activation first, then standing: not_activated | active | at_risk | not_applicable.

    FAQ "O que eu preciso fazer para ser um fornecedor de soluções?" — both halves of the
    answer: the three steps to become an activated provider, then what keeps the status.
    `data.activation` and `data.standing` keep both answers; a provider that is not
    activated yet gets the activation reasons and steps only (standing figures still shown).
    """
    partner = find_partner(conn, partner_id)
    trace = Trace()
    if partner["package"] != PROVIDER:
        return _not_a_provider(partner, "provider_status", as_of, trace)
    a_reasons, a_steps, activation = _activation(conn, partner, as_of, trace)
    s_reasons, s_steps, standing = _standing(conn, partner, as_of, trace)
    data = {"check": "provider_status", "as_of": as_of.isoformat(), "package": PROVIDER, **activation, **standing}
    if activation["activation"] == "not_activated":
        return Verdict(
            subject=partner["partner_id"],
            verdict="not_activated",
            reasons=a_reasons,
            next_steps=a_steps,
            trace=trace,
            data=data,
            summary=_summary("summary_not_activated", missing=len(activation["missing_steps"])),
        )
    verdict = standing["standing"]
    return Verdict(
        subject=partner["partner_id"],
        verdict=verdict,
        reasons=a_reasons + s_reasons,
        next_steps=s_steps,
        trace=trace,
        data=data,
        summary=_summary(f"summary_{verdict}", quarter=standing["quarter"]["quarter"]),
    )
