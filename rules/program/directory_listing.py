"""Whether a partner or provider can be listed in the Solutions Directory: a valid inbound certification.

FAQ — "Preciso ser parceiro de soluções para ser listado no Diretório de soluções?"
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from rules.db.models import certifications
from rules.parameters import parameter
from rules.program.partner_record import find_partner
from rules.result import Reason, Step, Trace, Verdict
from rules.texts import text

FAQ = "Preciso ser parceiro de soluções para ser listado no Diretório de soluções?"
TEXTS = "program_directory"


def earned_certifications(conn: Connection, partner_id: str, certification: str, as_of: dt.date) -> list[dict]:
    """The partner's certifications of this kind earned on or before `as_of`, latest first."""
    rows = conn.execute(
        select(certifications.c.earned_on, certifications.c.expires_on)
        .where(
            certifications.c.partner_id == partner_id,
            func.lower(certifications.c.certification) == certification.lower(),
            certifications.c.earned_on <= as_of,
        )
        .order_by(certifications.c.earned_on.desc())
    ).mappings()
    return [dict(row) for row in rows]


def certification_valid_on(certification: dict, day: dt.date) -> bool:
    """"uma Certificação de inbound válida": earned by `day` and not expired; it is expired on its expires_on date."""
    expires_on = certification["expires_on"]
    return certification["earned_on"] <= day and (expires_on is None or day < expires_on)


def directory_listing(conn: Connection, partner_id: str, as_of: dt.date) -> Verdict:
    """Can the partner be listed in the Solutions Directory on `as_of`?

    FAQ "Preciso ser parceiro de soluções para ser listado no Diretório de soluções?": "Não,
    você não precisa ser parceiro para ser listado no Diretório de soluções, mas precisa ter
    uma Certificação de inbound válida." The package (provider or partner) does not matter.
    Verdict: eligible | not_eligible.
    """
    partner = find_partner(conn, partner_id)
    required = parameter("program.directory.required_certification", as_of)
    trace = Trace()
    earned = earned_certifications(conn, partner["partner_id"], required.value, as_of)
    valid = [c for c in earned if certification_valid_on(c, as_of)]
    # The valid one lasting longest; else the most recent one, to say when it expired.
    chosen = max(valid, key=lambda c: c["expires_on"] or dt.date.max) if valid else (earned[0] if earned else None)
    trace.rule("valid_certification", bool(valid), required, faq=FAQ)
    trace.rule("partnership_required", False, faq=FAQ)

    values = {
        "earned_on": chosen["earned_on"].isoformat() if chosen else "",
        "expires_on": chosen["expires_on"].isoformat() if chosen and chosen["expires_on"] else "",
    }
    if valid:
        verdict = "eligible"
        code = "valid_certification" if chosen["expires_on"] else "valid_certification_no_expiry"
        steps = ["create_directory_profile"]
    elif earned:
        verdict, code, steps = "not_eligible", "certification_expired", ["renew_certification"]
    else:
        verdict, code, steps = "not_eligible", "no_certification", ["get_certification"]

    return Verdict(
        subject=partner["partner_id"],
        verdict=verdict,
        reasons=[Reason.from_texts(TEXTS, code, **values), Reason.from_texts(TEXTS, "partnership_not_required")],
        next_steps=[Step.from_texts(TEXTS, step, **values) for step in steps],
        trace=trace,
        data={
            "check": "directory_listing",
            "as_of": as_of.isoformat(),
            "package": partner["package"],
            "partnership_required": False,
            "required_certification": required.value,
            "certification": {
                "earned_on": values["earned_on"] or None,
                "expires_on": values["expires_on"] or None,
                "valid": bool(valid),
            } if chosen else None,
        },
        summary={lang: text(TEXTS, f"summary_{verdict}", lang, **values) for lang in ("pt", "en")},
    )
