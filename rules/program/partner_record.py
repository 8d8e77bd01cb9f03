"""The partner a program rule is asked about: its row in `partners`, or BadInput('unknown_partner')."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from rules.db.models import partners
from rules.errors import BadInput


def find_partner(conn: Connection, partner_id: str) -> dict:
    """The partner's row as a dict (partner_id, name, package, tier, joined_on, domain)."""
    key = (partner_id or "").strip()
    row = conn.execute(select(partners).where(partners.c.partner_id == key)).mappings().first() if key else None
    if row is None:
        raise BadInput("unknown_partner", partner_id=partner_id)
    return dict(row)
