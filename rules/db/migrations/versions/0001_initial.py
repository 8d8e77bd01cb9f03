"""Initial schema: partners, accounts, registrations, lead claims, eligibility data and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("partner_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("package", sa.String(16), nullable=False),
        sa.Column("tier", sa.String(16), nullable=True),
        sa.Column("joined_on", sa.Date, nullable=False),
        sa.Column("domain", sa.String(253), nullable=True),
    )
    op.create_table(
        "accounts",
        sa.Column("domain", sa.String(253), primary_key=True),
        sa.Column("company", sa.String(255), nullable=False),
        sa.Column("customer", sa.Boolean, nullable=False),
        sa.Column("products", sa.Text, nullable=False),
        sa.Column("hubspot_owner", sa.String(320), nullable=True),
        sa.Column("active_sales_process", sa.Boolean, nullable=False),
    )
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("partner_id", sa.String(64), sa.ForeignKey("partners.partner_id"), nullable=False),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("contact_email", sa.String(320), nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.UniqueConstraint("partner_id", "domain", "registered_on", name="uq_registrations_partner_id_domain_registered_on"),
    )
    op.create_index("ix_registrations_domain_expires", "registrations", ["domain", "expires_on"])
    op.create_index("ix_registrations_partner", "registrations", ["partner_id", "registered_on"])
    op.create_table(
        "lead_claims",
        sa.Column("domain", sa.String(253), primary_key=True),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.Column("product", sa.String(64), nullable=False),
        sa.Column("monthly_usd", sa.Numeric(12, 2), nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date, nullable=True),
        sa.Column("sold_by", sa.String(64), nullable=True),
        sa.UniqueConstraint("domain", "product", "started_on", name="uq_subscriptions_domain_product_started_on"),
    )
    op.create_index("ix_subscriptions_sold_by", "subscriptions", ["sold_by", "started_on"])
    op.create_table(
        "managed_accounts",
        sa.Column("partner_id", sa.String(64), sa.ForeignKey("partners.partner_id"), primary_key=True),
        sa.Column("domain", sa.String(253), primary_key=True),
        sa.Column("managed_since", sa.Date, nullable=True),
    )
    op.create_table(
        "portal_activity",
        sa.Column("partner_id", sa.String(64), sa.ForeignKey("partners.partner_id"), primary_key=True),
        sa.Column("domain", sa.String(253), primary_key=True),
        sa.Column("user_email", sa.String(320), primary_key=True),
        sa.Column("first_active_on", sa.Date, nullable=False),
        sa.Column("last_active_on", sa.Date, nullable=False),
    )
    op.create_table(
        "app_usage",
        sa.Column("domain", sa.String(253), primary_key=True),
        sa.Column("app", sa.String(64), primary_key=True),
    )
    op.create_table(
        "certifications",
        sa.Column("partner_id", sa.String(64), sa.ForeignKey("partners.partner_id"), primary_key=True),
        sa.Column("certification", sa.String(64), primary_key=True),
        sa.Column("earned_on", sa.Date, primary_key=True),
        sa.Column("expires_on", sa.Date, nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(253), nullable=False),
        sa.Column("partner_id", sa.String(64), nullable=True),
        sa.Column("result", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    for table in ("audit_log", "certifications", "app_usage", "portal_activity", "managed_accounts",
                  "subscriptions", "lead_claims", "registrations", "accounts", "partners"):
        op.drop_table(table)
