"""Test data for the lead rules, written straight into a database with SQLAlchemy (no pytest, no CSV loader).

    engine = make_database("sqlite:////tmp/x.db")
    add_partner(engine, "p1")
    add_account(engine, "acme.com", customer=True)
    add_registration(engine, "p1", "acme.com", "2024-02-29")   # expires_on from the rule, claim synced
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from rules.db.migrate import upgrade
from rules.db.models import accounts, partners, registrations
from rules.db.session import make_engine
from rules.lead_availability import registration_expires_on
from rules.lead_registration import sync_claims


def day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def make_database(url: str):
    """A new engine on `url`, brought to the current schema with the project's migrations."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


def add_partner(engine, partner_id: str, name: str | None = None, package: str = "partner", tier=None, joined_on="2018-01-01"):
    with engine.begin() as conn:
        conn.execute(insert(partners).values(partner_id=partner_id, name=name or partner_id.upper(), package=package,
                                             tier=tier, joined_on=day(joined_on)))


def add_account(engine, domain: str, company: str = "", customer: bool = False, products: str = "",
                hubspot_owner: str | None = None, active_sales_process: bool = False):
    with engine.begin() as conn:
        conn.execute(insert(accounts).values(domain=domain, company=company or domain, customer=customer, products=products,
                                             hubspot_owner=hubspot_owner, active_sales_process=active_sales_process))


def add_registration(engine, partner_id: str, domain: str, registered_on, contact_email: str | None = None,
                     expires_on=None, sync: bool = True):
    """A registration row (expires_on computed by the rule unless given), then the domain's claim row synced."""
    registered_on = day(registered_on)
    expires_on = day(expires_on) if expires_on else registration_expires_on(registered_on)
    with engine.begin() as conn:
        conn.execute(insert(registrations).values(partner_id=partner_id, domain=domain,
                                                  contact_email=contact_email or f"contact@{domain}",
                                                  registered_on=registered_on, expires_on=expires_on))
        if sync:
            sync_claims(conn, [domain])


def load_situation(engine, situation: dict):
    """Insert a scenario's `partners`, `accounts` and `registrations` (the shape of tests/rules/cases/lead_*.yaml)."""
    for partner in situation.get("partners") or []:
        if isinstance(partner, str):
            add_partner(engine, partner)
        else:
            add_partner(engine, **partner)
    for account in situation.get("accounts") or []:
        add_account(engine, **account)
    for registration in situation.get("registrations") or []:
        add_registration(engine, **registration)


def race_register(url: str, domain: str, partner_id: str, as_of: str, barrier, results) -> None:
    """One racer of the race test, run in its own process: connect, wait for the others, register."""
    from sqlalchemy import select

    from rules.lead_registration import register_lead

    engine = make_engine(url)
    try:
        with engine.connect() as conn:  # connect before the start line, so the race is the registration itself
            conn.execute(select(1))
        barrier.wait(timeout=120)
        result = register_lead(engine, domain, partner_id, f"contact@{domain}", day(as_of))
        results.put((partner_id, result.registered, result.status, None))
    except Exception as exc:  # reported to the test, which fails on it
        results.put((partner_id, None, None, repr(exc)))
    finally:
        engine.dispose()
