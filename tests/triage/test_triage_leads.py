"""Whose lead checks: the sender's partner, or neutral (bot/triage/leads.py), on the CRM of tests/triage/crm/."""
from __future__ import annotations

from bot.triage.leads import check_domains, neutral_check, partner_domains, partner_of_sender
from triage_support import AS_OF


def test_partner_domains_and_sender_lookup(crm_conn):
    known = partner_domains(crm_conn)
    assert known["pulsodigital.com.br"] == "P-1001"
    assert partner_of_sender("pulsodigital.com.br", known) == ("P-1001", "pulsodigital.com.br")
    assert partner_of_sender("mail.pulsodigital.com.br", known) == ("P-1001", "pulsodigital.com.br")
    assert partner_of_sender("notpulsodigital.com.br", known) is None
    assert partner_of_sender(None, known) is None


def test_partner_perspective(crm_conn):
    [own] = check_domains(crm_conn, ["cafe-do-porto.com.br"], "P-1001", AS_OF)
    assert own.status == "registered_by_you"
    [other] = check_domains(crm_conn, ["cafe-do-porto.com.br"], "P-1003", AS_OF)
    assert other.status == "unavailable"
    assert other.reason_codes == ["other_partner_owned"]


def test_neutral_check_has_no_you(crm_conn):
    registered = neutral_check(crm_conn, "cafe-do-porto.com.br", AS_OF)
    assert registered.status == "unavailable"
    assert registered.reason_codes == ["other_partner_owned"]
    staff = registered.as_dict("en", staff=True)
    assert staff["reasons"][0]["owner_partner_id"] == "P-1001"
    partner_view = registered.as_dict("pt", staff=False)
    assert "P-1001" not in str(partner_view)
    assert neutral_check(crm_conn, "sorveteria-gelato.com.br", AS_OF).status == "available"
    assert neutral_check(crm_conn, "never-heard-of.com", AS_OF).status == "available"
    # An expired registration (2025-07-03 + 1 year) no longer blocks anyone.
    assert neutral_check(crm_conn, "doceria-maria.com.br", AS_OF).status == "available"
    customer = neutral_check(crm_conn, "grupo-aurora.com.br", AS_OF)
    assert customer.reason_codes == ["existing_customer"]


def test_same_rules_as_the_cli(crm_conn):
    """The neutral check and a partner's check agree on everything but "you"."""
    from rules.lead_availability import check_lead

    for domain in ("fintech-pagar.com.br", "escola-saber.com.br", "grupo-aurora.com.br", "northern-lights.ca"):
        neutral = neutral_check(crm_conn, domain, AS_OF)
        as_partner = check_lead(crm_conn, domain, "P-1009", AS_OF)  # holds none of them
        assert neutral.as_dict("en", staff=True)["reasons"] == as_partner.as_dict("en", staff=True)["reasons"]
        assert neutral.status == as_partner.status
