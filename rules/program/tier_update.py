"""When tiers are next updated, and which tier is the next one up.

FAQ — "Com que frequência as categorias são atualizadas?" and, for the order of the tiers,
"Como as categorias do Solutions Partner Program da HubSpot são calculadas?"
"""
from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from sqlalchemy.engine import Connection

from rules.parameters import parameter
from rules.program.partner_record import find_partner
from rules.program.periods import monthly_day_on_or_after
from rules.result import Reason, Step, Trace, Verdict
from rules.texts import text

FAQ = "Com que frequência as categorias são atualizadas?"
FAQ_ORDER = "Como as categorias do Solutions Partner Program da HubSpot são calculadas?"
TEXTS = "program_tiers"
PARTNER = "partner"


def next_tier_update(as_of: dt.date, day_of_month: int) -> tuple[bool, dt.date]:
    """(is `as_of` an update day, the next update after it).

    "As categorias são atualizadas mensalmente, todo dia 15": on the 15th itself the update
    is today and the next one is the 15th of the following month (December → January).
    """
    upcoming = monthly_day_on_or_after(as_of, day_of_month)
    if upcoming == as_of:
        following = as_of.replace(day=1) + relativedelta(months=1)
        return True, monthly_day_on_or_after(following, day_of_month)
    return False, upcoming


def next_tier_up(current: str | None, order: list[dict]) -> dict | None:
    """The tier above `current` ("Da mais baixa à mais alta … Ouro, Platinum, Diamante e Elite").

    No tier yet → the lowest; the highest → None.
    """
    codes = [tier["code"] for tier in order]
    if not current:
        return order[0]
    if current not in codes:
        return None
    position = codes.index(current)
    return order[position + 1] if position + 1 < len(order) else None


def tier_update(conn: Connection, partner_id: str, as_of: dt.date) -> Verdict:
    """The next monthly tier update, the partner's tier and the next tier up.

    FAQ "Com que frequência as categorias são atualizadas?": "As categorias são atualizadas
    mensalmente, todo dia 15. Isso significa que todo mês você tem a oportunidade de avançar
    de categoria com base no quanto você vendeu e gerenciou." Verdict: update_today (as_of is
    the 15th) | update_scheduled.
    """
    partner = find_partner(conn, partner_id)
    day = parameter("program.tiers.update_day_of_month", as_of)
    order = parameter("program.tiers.order", as_of)
    trace = Trace()

    today, next_update = next_tier_update(as_of, day.value)
    trace.rule("tier_update_day", next_update.isoformat(), day, faq=FAQ)
    current = (partner["tier"] or "").strip().lower() or None
    by_code = {tier["code"]: tier for tier in order.value}
    known = current is None or current in by_code
    up = next_tier_up(current, order.value)
    trace.rule("next_tier_up", up["code"] if up else None, order, faq=FAQ_ORDER)

    verdict = "update_today" if today else "update_scheduled"
    names = {lang: _names(current, up, by_code, lang) for lang in ("pt", "en")}
    values = {"next_update": next_update.isoformat(), "day": day.value, "day_ordinal": _ordinal(day.value),
              "as_of": as_of.isoformat(), "days": (next_update - as_of).days}
    reasons = [Reason.from_texts(TEXTS, verdict, **values)]
    steps = []
    if partner["package"] != PARTNER:
        reasons.append(Reason.from_texts(TEXTS, "provider_package_no_tiers"))
        steps.append(Step.from_texts(TEXTS, "join_partner_package"))
    elif not known:
        reasons.append(Reason.from_texts(TEXTS, "unknown_tier", tier=partner["tier"]))
    else:
        reasons.append(_localised_reason(_tier_code(current, up), names, values))
        if up:
            steps.append(Step.from_texts(TEXTS, "move_up", **values))

    return Verdict(
        subject=partner["partner_id"],
        verdict=verdict,
        reasons=reasons,
        next_steps=steps,
        trace=trace,
        data={
            "check": "tier_update",
            "as_of": as_of.isoformat(),
            "package": partner["package"],
            "update_today": today,
            "next_update_on": next_update.isoformat(),
            "days_until_next_update": (next_update - as_of).days,
            "update_day_of_month": day.value,
            "current_tier": current,
            "next_tier": up["code"] if up and partner["package"] == PARTNER and known else None,
            "tiers_in_order": [tier["code"] for tier in order.value],
        },
        summary={lang: text(TEXTS, f"summary_{verdict}", lang, **values) for lang in ("pt", "en")},
    )


def _ordinal(number: int) -> str:
    """15 → "15th", 1 → "1st", for the English texts."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _tier_code(current: str | None, up: dict | None) -> str:
    if current is None:
        return "no_tier_yet"
    return "current_tier" if up else "highest_tier"


def _names(current, up, by_code, lang) -> dict:
    return {
        "tier": by_code[current][lang] if current in by_code else (current or ""),
        "next_tier": up[lang] if up else "",
        "tiers": ", ".join(tier[lang] for tier in by_code.values()),
    }


def _localised_reason(code: str, names: dict, values: dict) -> Reason:
    """Tier names differ by language (Ouro/Gold), so each language is filled with its own."""
    return Reason(code=code, explanation={lang: text(TEXTS, code, lang, **values, **names[lang]) for lang in names})
