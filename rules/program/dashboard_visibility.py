"""Whether a managed client shows on the partner dashboard, and why not.

FAQ — "Por que um cliente que gerencio não está aparecendo no meu painel?"
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.engine import Connection

from rules.db.models import managed_accounts, portal_activity
from rules.domains import InvalidDomain, display_domain, normalise_domain
from rules.errors import BadInput
from rules.parameters import parameter
from rules.program.partner_record import find_partner
from rules.result import Reason, Step, Trace, Verdict
from rules.texts import text

FAQ = "Por que um cliente que gerencio não está aparecendo no meu painel?"
TEXTS = "program_dashboard"


def client_domain(target: str) -> str:
    """The client's domain as typed (domain, URL or email), normalised, or BadInput('bad_domain')."""
    try:
        return normalise_domain(target)
    except InvalidDomain as exc:
        raise BadInput("bad_domain", target=target, why=str(exc)) from None


def managed_since(conn: Connection, partner_id: str, domain: str) -> tuple[bool, dt.date | None]:
    """Whether the partner manages the client (a managed_accounts row), and since when."""
    row = conn.execute(
        select(managed_accounts.c.managed_since).where(
            managed_accounts.c.partner_id == partner_id, managed_accounts.c.domain == domain
        )
    ).first()
    return (row is not None, row[0] if row else None)


def portal_users_activity(conn: Connection, partner_id: str, domain: str, as_of: dt.date) -> list[dict]:
    """Activity of the partner's portal users in the client's portal that had begun by `as_of`."""
    rows = conn.execute(
        select(portal_activity.c.user_email, portal_activity.c.first_active_on, portal_activity.c.last_active_on)
        .where(
            portal_activity.c.partner_id == partner_id,
            portal_activity.c.domain == domain,
            portal_activity.c.first_active_on <= as_of,
        )
        .order_by(portal_activity.c.last_active_on.desc(), portal_activity.c.user_email)
    ).mappings()
    return [dict(row) for row in rows]


def active_recently(last_active_on: dt.date | None, as_of: dt.date, window_days: int) -> bool:
    """"esteve ativo no portal do cliente nos últimos 90 dias": the window is the 90 days ending on `as_of`.

    With 90: active 89 days before `as_of` is recent, exactly 90 days before is not.
    """
    return last_active_on is not None and last_active_on > as_of - dt.timedelta(days=window_days)


def first_activity_today(first_active_on: dt.date | None, as_of: dt.date) -> bool:
    """"ou se a sua primeira atividade foi hoje": the dashboard has not refreshed since."""
    return first_active_on == as_of


def dashboard_visibility(
    conn: Connection, partner_id: str, as_of: dt.date, domain: str, still_missing: bool = False
) -> Verdict:
    """Should the client `domain` appear on the partner's dashboard on `as_of`?

    FAQ "Por que um cliente que gerencio não está aparecendo no meu painel?": "O painel é
    atualizado uma vez a cada 24 horas. Um cliente que você gerencia não aparecerá no seu
    painel se um usuário do seu portal não esteve ativo no portal do cliente nos últimos 90
    dias ou se a sua primeira atividade foi hoje. Se já se passaram 24 horas desde a sua
    primeira atividade no portal do cliente, entre em contato com seu Gerente de conta do canal."

    Verdict: visible | hidden_no_recent_activity | hidden_first_activity_today |
    should_be_visible_contact_cam (it should show and the partner says it still does not:
    `still_missing=True`) | not_managed (no managed_accounts row and no activity).
    """
    domain = client_domain(domain)
    partner = find_partner(conn, partner_id)
    window = parameter("program.dashboard.activity_window_days", as_of)
    refresh = parameter("program.dashboard.refresh_hours", as_of)
    trace = Trace()

    managed, since = managed_since(conn, partner["partner_id"], domain)
    users = portal_users_activity(conn, partner["partner_id"], domain, as_of)
    first = min((u["first_active_on"] for u in users), default=None)
    last = max((u["last_active_on"] for u in users), default=None)
    recent = active_recently(last, as_of, window.value)
    today = first_activity_today(first, as_of)

    values = {
        "domain": display_domain(domain),
        "days": window.value,
        "hours": refresh.value,
        "as_of": as_of.isoformat(),
        "first_active_on": first.isoformat() if first else "",
        "last_active_on": last.isoformat() if last else "",
    }
    if not managed and not users:
        trace.rule("managed_client", False, faq=FAQ)
        verdict, reason, steps = "not_managed", "not_managed", ["check_client_domain"]
    elif not recent:
        trace.rule("active_in_last_days", False, window, faq=FAQ)
        verdict = "hidden_no_recent_activity"
        reason = "no_recent_activity" if users else "no_activity_recorded"
        steps = ["be_active_in_client_portal"]
    elif today:
        trace.rule("active_in_last_days", True, window, faq=FAQ)
        trace.rule("first_activity_today", True, refresh, faq=FAQ)
        verdict, reason, steps = "hidden_first_activity_today", "first_activity_today", ["wait_for_refresh"]
    else:
        trace.rule("active_in_last_days", True, window, faq=FAQ)
        trace.rule("first_activity_today", False, refresh, faq=FAQ)
        if still_missing:
            trace.rule("reported_still_missing", True, refresh, faq=FAQ)
            verdict, reason, steps = "should_be_visible_contact_cam", "should_be_visible", ["contact_cam"]
        else:
            verdict, reason, steps = "visible", "visible", ["contact_cam_if_missing"]

    return Verdict(
        subject=partner["partner_id"],
        verdict=verdict,
        reasons=[Reason.from_texts(TEXTS, reason, **values)],
        next_steps=[Step.from_texts(TEXTS, code, **values) for code in steps],
        trace=trace,
        data={
            "check": "dashboard_visibility",
            "as_of": as_of.isoformat(),
            "domain": domain,
            "managed": managed,
            "managed_since": since.isoformat() if since else None,
            "first_active_on": first.isoformat() if first else None,
            "last_active_on": last.isoformat() if last else None,
            "days_since_first_activity": (as_of - first).days if first else None,
            "days_since_last_activity": (as_of - last).days if last else None,
            "activity_window_days": window.value,
            "dashboard_refresh_hours": refresh.value,
            "still_missing_reported": still_missing,
            "users": [
                {
                    "user_email": u["user_email"],
                    "first_active_on": u["first_active_on"].isoformat(),
                    "last_active_on": u["last_active_on"].isoformat(),
                }
                for u in users
            ],
        },
        summary={lang: text(TEXTS, f"summary_{verdict}", lang, **values) for lang in ("pt", "en")},
    )
