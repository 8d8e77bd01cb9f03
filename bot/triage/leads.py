"""The lead checks of the domains an email names, with the rules engine (`rules.lead_availability`).

Whose perspective? When the sender's address is on a known partner's domain
(`partners.domain`), the checks are that partner's (`check_lead`), so a lead the partner
holds reads `registered_by_you`. Otherwise no partner is asking, and `neutral_check`
applies the same named rules to the same database rows with no partner at all
(`evaluate_lead` with an empty partner id): nothing is "yours", and every registration in
force counts as another partner's. Picking some partner instead would invent a perspective.

Each check has two views: the staff view (`as_dict(lang, staff=True)`, with the owner's
partner id) goes to triage.jsonl; the partner view (no other partner's id) goes in drafts.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from rules.db.models import partners
from rules.domains import InvalidDomain, normalise_domain
from rules.lead_availability import LeadCheck, check_lead, evaluate_lead, lead_domain, load_account, load_registrations

NO_PARTNER = ""  # no registration has an empty partner id, so none is "registered by you"


def partner_domains(conn) -> dict:
    """{normalised domain: partner_id} of the partners whose domain is on file."""
    out = {}
    for partner_id, domain in conn.execute(select(partners.c.partner_id, partners.c.domain).where(partners.c.domain.isnot(None))):
        try:
            out[normalise_domain(domain)] = partner_id
        except InvalidDomain:
            continue
    return out


def partner_of_sender(sender_domain: Optional[str], known: dict) -> Optional[tuple]:
    """(partner_id, partner domain) when the sender writes from a partner's domain (or a subdomain of it)."""
    if not sender_domain:
        return None
    for domain, partner_id in known.items():
        if sender_domain == domain or sender_domain.endswith("." + domain):
            return partner_id, domain
    return None


def neutral_check(conn, target: str, as_of: dt.date) -> LeadCheck:
    """The lead rules for `target` with no partner asking: available, or unavailable and why."""
    domain = lead_domain(target)
    return evaluate_lead(domain, NO_PARTNER, as_of, load_account(conn, domain), load_registrations(conn, domain, as_of),
                         target=target)


def check_domains(conn, domains: list, partner_id: Optional[str], as_of: dt.date) -> list:
    """One LeadCheck per domain, as `partner_id` (or neutral when None)."""
    if partner_id:
        return [check_lead(conn, domain, partner_id, as_of) for domain in domains]
    return [neutral_check(conn, domain, as_of) for domain in domains]
