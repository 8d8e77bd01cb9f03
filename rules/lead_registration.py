"""Registering a lead: the partner claims an available domain, and the database makes sure only one partner can.

A registration is one conditional upsert on the domain's `lead_claims` row (taken only when the
row is missing or its registration has expired) plus the `registrations` row, in one
transaction; two partners racing for a domain cannot both win, on SQLite or PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from sqlalchemy import delete, insert, select

from rules.db.models import audit_log, lead_claims, registrations
from rules.domains import InvalidDomain, normalise_domain
from rules.errors import BadInput
from rules.lead_availability import (
    AVAILABLE,
    FAQ_CREDIT,
    FAQ_REREGISTER,
    REGISTERED_BY_YOU,
    SUMMARY,
    LeadCheck,
    as_of_date,
    check_lead,
    format_date,
    lead_domain,
    registration_expires_on,
    registration_validity,
    require_partner,
)
from rules.texts import text

_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[^@\s]+$")


class _NotRegistered(Exception):
    """Raised inside the registration transaction to roll it back."""

    def __init__(self, code: str, claim=None):
        super().__init__(code)
        self.code = code
        self.claim = claim


@dataclass(frozen=True)
class Claim:
    """The `lead_claims` row of a domain: who holds it and for which period."""

    partner_id: str
    registered_on: dt.date
    expires_on: dt.date


# --- rules ------------------------------------------------------------------------------------


def valid_contact_email(value: str) -> str:
    """The registration's contact, an email address (BadInput('bad_email') otherwise).

    FAQ "Como recebo crédito por indicar ou revender produtos da HubSpot?": "basta escolher um
    contato na empresa e preencher o cartão de registro de lead".
    """
    email = (value or "").strip()
    if len(email) > 320 or not _EMAIL.match(email):
        raise BadInput("bad_email", value=str(value)[:200])
    local, host = email.rsplit("@", 1)
    if "/" in host or ":" in host:
        raise BadInput("bad_email", value=email[:200])
    try:
        host = normalise_domain(host)
    except InvalidDomain:
        raise BadInput("bad_email", value=email[:200]) from None
    return f"{local}@{host}"


def may_register(check: LeadCheck) -> bool:
    """Only an `available` lead is registered.

    FAQ "Posso registrar novamente um contato expirado?": "Sim. Depois que um contato expira…" —
    an expired registration leaves the lead available again; one in force (the partner's own or
    another partner's) does not.
    """
    return check.status == AVAILABLE


def _dialect_insert(conn):
    name = conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - the project supports SQLite and PostgreSQL
        raise NotImplementedError(f"lead registration needs an upsert; {name} is not supported")
    return dialect_insert


def claim_lead(conn, domain: str, partner_id: str, registered_on: dt.date, expires_on: dt.date) -> bool:
    """Take the domain's claim when nobody holds it on `registered_on`; True when taken.

    One statement, decided by the database: INSERT … ON CONFLICT (domain) DO UPDATE … WHERE
    lead_claims.expires_on <= :registered_on. Of two partners racing for a domain, the second
    one's upsert sees the first one's claim and changes no row.
    """
    stmt = _dialect_insert(conn)(lead_claims).values(
        domain=domain, partner_id=partner_id, registered_on=registered_on, expires_on=expires_on
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[lead_claims.c.domain],
        set_={
            "partner_id": stmt.excluded.partner_id,
            "registered_on": stmt.excluded.registered_on,
            "expires_on": stmt.excluded.expires_on,
        },
        where=lead_claims.c.expires_on <= registered_on,
    )
    return conn.execute(stmt).rowcount == 1


def current_claim(conn, domain: str) -> Optional[Claim]:
    row = conn.execute(select(lead_claims).where(lead_claims.c.domain == domain)).mappings().first()
    return Claim(row["partner_id"], row["registered_on"], row["expires_on"]) if row else None


def write_audit(conn, *, actor: str, role: str, action: str, target: str, partner_id: Optional[str], result: str) -> None:
    """One row of `audit_log` (who did what to which lead, with what outcome)."""
    conn.execute(
        insert(audit_log).values(
            at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            actor=(actor or "unknown")[:64],
            role=(role or "partner")[:16],
            action=action[:32],
            target=(target or "")[:253],
            partner_id=partner_id,
            result=result[:64],
        )
    )


# --- the result -------------------------------------------------------------------------------


@dataclass
class RegistrationResult:
    """What `register_lead` did: `registered`, and the lead check as it stands after the attempt."""

    registered: bool
    check: LeadCheck
    not_registered: Optional[str] = None  # unavailable | already_yours | claimed
    claim: Optional[Claim] = None  # the claim that blocked a registration (staff only)
    trace: list = field(default_factory=list)

    # The attributes chat adapters read, as on LeadCheck.
    @property
    def status(self) -> str:
        return self.check.status

    @property
    def domain(self) -> str:
        return self.check.domain

    @property
    def display_domain(self) -> str:
        return self.check.display_domain

    @property
    def expires_on(self) -> Optional[dt.date]:
        return self.check.expires_on

    @property
    def reason_codes(self) -> list:
        return self.check.reason_codes

    def summary_text(self, lang: str = "en", staff: bool = False) -> str:
        if self.registered:
            return text(SUMMARY, "registered_now", lang, domain=self.display_domain,
                        until=format_date(self.check.expires_on, lang))
        return self.check.summary_text(lang, staff)

    def not_registered_text(self, lang: str = "en", staff: bool = False) -> Optional[str]:
        if self.registered or not self.not_registered:
            return None
        if self.not_registered == "claimed" and staff and self.claim:
            return text(SUMMARY, "not_registered_claimed_staff", lang, owner=self.claim.partner_id,
                        registered_on=format_date(self.claim.registered_on, lang),
                        until=format_date(self.claim.expires_on, lang))
        return text(SUMMARY, f"not_registered_{self.not_registered}", lang)

    def as_dict(self, lang: str = "en", staff: bool = False) -> dict:
        """The lead check's JSON after the attempt, plus `registered` (and `not_registered` when false)."""
        out = self.check.as_dict(lang, staff)
        out["registered"] = self.registered
        out["summary"] = self.summary_text(lang, staff)
        if not self.registered:
            out["not_registered"] = {"code": self.not_registered, "explanation": self.not_registered_text(lang, staff)}
        trace = []
        for entry in self.trace:
            entry = dict(entry)
            details = entry.pop("staff", None)
            if staff and details:
                entry.update(details)
            trace.append(entry)
        out["trace"] = trace + out["trace"]
        return out


# --- registering ------------------------------------------------------------------------------


def register_lead(engine, target: str, partner_id: str, contact_email: str, as_of: dt.date,
                  *, actor: Optional[str] = None, role: str = "partner") -> RegistrationResult:
    """Register the lead `target` for `partner_id` on `as_of` when it is available; exactly one racer wins.

    Bad input (TARGET, partner, contact email, date) raises BadInput before anything is written.
    The claim upsert, a re-check of every unavailability reason, the `registrations` row and the
    audit row are one transaction. Every attempt that gets past input checks is audited.
    """
    as_of = as_of_date(as_of)
    domain = lead_domain(target)
    email = valid_contact_email(contact_email)
    with engine.connect() as conn:
        partner = require_partner(conn, partner_id)
        before = check_lead(conn, target, partner, as_of)
    actor = actor or partner
    validity = registration_validity(as_of)
    expires_on = registration_expires_on(as_of)
    trace = [{"rule": "may_register", "outcome": may_register(before), "parameters": [], "faq": FAQ_REREGISTER}]
    if not may_register(before):
        code = "already_yours" if before.status == REGISTERED_BY_YOU else "unavailable"
        result = RegistrationResult(False, before, code, trace=trace)
    else:
        claimed = {"rule": "claim_lead", "outcome": False, "parameters": [validity.trace()], "faq": FAQ_CREDIT,
                   "registered_on": as_of.isoformat(), "expires_on": expires_on.isoformat()}
        trace.append(claimed)
        try:
            with engine.begin() as conn:
                if not claim_lead(conn, domain, partner, as_of, expires_on):
                    raise _NotRegistered("claimed", claim=current_claim(conn, domain))
                claimed["outcome"] = True
                # The claim is ours until commit; re-check every reason under it (the account may have changed).
                inside = check_lead(conn, target, partner, as_of)
                trace.append({"rule": "may_register_under_claim", "outcome": may_register(inside), "parameters": [],
                              "faq": FAQ_REREGISTER})
                if not may_register(inside):
                    raise _NotRegistered("already_yours" if inside.status == REGISTERED_BY_YOU else "unavailable")
                conn.execute(
                    insert(registrations).values(
                        partner_id=partner, domain=domain, contact_email=email, registered_on=as_of, expires_on=expires_on
                    )
                )
                write_audit(conn, actor=actor, role=role, action="lead_register", target=domain, partner_id=partner,
                            result="registered")
        except _NotRegistered as lost:
            if lost.claim:  # who holds the claim is for staff only
                claimed["staff"] = {"claim": {
                    "partner_id": lost.claim.partner_id,
                    "registered_on": lost.claim.registered_on.isoformat(),
                    "expires_on": lost.claim.expires_on.isoformat(),
                }}
            if claimed["outcome"]:
                claimed["rolled_back"] = True
            result = RegistrationResult(False, before, lost.code, claim=lost.claim, trace=trace)
        else:
            result = RegistrationResult(True, before, None, trace=trace)

    # The answer is the lead check as it stands after the attempt (what a check would say now).
    with engine.connect() as conn:
        result.check = check_lead(conn, target, partner, as_of)
    if not result.registered:
        with engine.begin() as conn:
            write_audit(conn, actor=actor, role=role, action="lead_register", target=domain, partner_id=partner,
                        result=f"not_registered:{result.not_registered}")
    return result


def sync_claims(conn, domains: Iterable[str], chunk_size: int = 500) -> int:
    """Set each domain's `lead_claims` row from its latest registration (by registered_on); returns rows set.

    Domains are the normalised keys of the `registrations` table. A domain without any
    registration loses its claim row. The CSV import calls this after loading registrations.csv,
    inside its own transaction.
    """
    wanted = sorted({d for d in domains if d})
    upsert = _dialect_insert(conn)(lead_claims)
    upsert = upsert.on_conflict_do_update(
        index_elements=[lead_claims.c.domain],
        set_={
            "partner_id": upsert.excluded.partner_id,
            "registered_on": upsert.excluded.registered_on,
            "expires_on": upsert.excluded.expires_on,
        },
    )
    written = 0
    for start in range(0, len(wanted), chunk_size):
        chunk = wanted[start:start + chunk_size]
        rows = conn.execute(
            select(registrations.c.domain, registrations.c.partner_id, registrations.c.registered_on, registrations.c.expires_on)
            .where(registrations.c.domain.in_(chunk))
            .order_by(registrations.c.domain, registrations.c.registered_on, registrations.c.expires_on, registrations.c.id)
        )
        latest = {}
        for row in rows:
            latest[row.domain] = row  # ordered, so the last one seen is the latest
        if latest:
            conn.execute(upsert, [
                {"domain": r.domain, "partner_id": r.partner_id, "registered_on": r.registered_on, "expires_on": r.expires_on}
                for r in latest.values()
            ])
            written += len(latest)
        missing = [d for d in chunk if d not in latest]
        if missing:
            conn.execute(delete(lead_claims).where(lead_claims.c.domain.in_(missing)))
    return written


__all__ = [
    "Claim",
    "RegistrationResult",
    "claim_lead",
    "valid_contact_email",
    "current_claim",
    "may_register",
    "register_lead",
    "sync_claims",
    "write_audit",
]
