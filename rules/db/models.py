"""Tables of the program's data: partners, accounts, lead registrations and what the eligibility rules read.

Written in SQLAlchemy 2.0 style on 1.4 (`future=True`). Every lookup a rule makes is
served by an index, so checks stay fast with millions of rows.
"""
from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

partners = Table(
    "partners",
    metadata,
    Column("partner_id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("package", String(16), nullable=False),  # provider | partner
    Column("tier", String(16), nullable=True),  # None, gold, platinum, diamond, elite
    Column("joined_on", Date, nullable=False),
    Column("domain", String(253), nullable=True),  # the partner's own HubSpot account, for its subscription
)

accounts = Table(
    "accounts",
    metadata,
    Column("domain", String(253), primary_key=True),
    Column("company", String(255), nullable=False, default=""),
    Column("customer", Boolean, nullable=False, default=False),
    Column("products", Text, nullable=False, default=""),  # ';'-separated product codes
    Column("hubspot_owner", String(320), nullable=True),
    Column("active_sales_process", Boolean, nullable=False, default=False),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner_id", String(64), ForeignKey("partners.partner_id"), nullable=False),
    Column("domain", String(253), nullable=False),
    Column("contact_email", String(320), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("expires_on", Date, nullable=False),
    UniqueConstraint("partner_id", "domain", "registered_on"),
    Index("ix_registrations_domain_expires", "domain", "expires_on"),
    Index("ix_registrations_partner", "partner_id", "registered_on"),
)

# One row per domain: who holds the lead now and until when. Registering is a single
# conditional upsert on this row, so two partners racing for a domain cannot both win.
lead_claims = Table(
    "lead_claims",
    metadata,
    Column("domain", String(253), primary_key=True),
    Column("partner_id", String(64), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("expires_on", Date, nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain", String(253), nullable=False),
    Column("product", String(64), nullable=False),
    Column("monthly_usd", Numeric(12, 2), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date, nullable=True),
    Column("sold_by", String(64), nullable=True),  # partner credited with the sale
    UniqueConstraint("domain", "product", "started_on"),
    Index("ix_subscriptions_sold_by", "sold_by", "started_on"),
)

managed_accounts = Table(
    "managed_accounts",
    metadata,
    Column("partner_id", String(64), ForeignKey("partners.partner_id"), primary_key=True),
    Column("domain", String(253), primary_key=True),
    Column("managed_since", Date, nullable=True),
)

portal_activity = Table(
    "portal_activity",
    metadata,
    Column("partner_id", String(64), ForeignKey("partners.partner_id"), primary_key=True),
    Column("domain", String(253), primary_key=True),
    Column("user_email", String(320), primary_key=True),
    Column("first_active_on", Date, nullable=False),
    Column("last_active_on", Date, nullable=False),
)

app_usage = Table(
    "app_usage",
    metadata,
    Column("domain", String(253), primary_key=True),
    Column("app", String(64), primary_key=True),
)

certifications = Table(
    "certifications",
    metadata,
    Column("partner_id", String(64), ForeignKey("partners.partner_id"), primary_key=True),
    Column("certification", String(64), primary_key=True),
    Column("earned_on", Date, primary_key=True),
    Column("expires_on", Date, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),  # ISO timestamp, UTC
    Column("actor", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", String(253), nullable=False),
    Column("partner_id", String(64), nullable=True),
    Column("result", String(64), nullable=False),
    Index("ix_audit_log_at", "at"),
)
