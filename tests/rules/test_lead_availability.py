"""The lead availability rules: statuses, reasons, expiry arithmetic, normalised targets and who may see the owner."""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lead_data and conftest_lead live next to this file

from conftest_lead import *  # noqa: E402,F401,F403  (the fixtures)
from lead_data import add_account, add_partner, add_registration  # noqa: E402
import rules.parameters as parameters_module  # noqa: E402
from rules import lead_availability as la  # noqa: E402
from rules.db.models import audit_log, lead_claims, registrations  # noqa: E402
from rules.errors import BadInput  # noqa: E402
from rules.texts import TEXTS_DIR  # noqa: E402

D = dt.date
OWNER = "rival-agency-77"  # distinctive, so a leak of the owner's id is easy to spot anywhere in the JSON
CONTRACT_KEYS = {"domain", "status", "reasons", "next_steps", "expires_on"}
EXTRA_KEYS = {"summary", "trace", "explanations"}


def reg(partner, registered_on, domain="acme.com"):
    return la.Registration(partner, domain, registered_on, la.registration_expires_on(registered_on))


# --- the expiry rule ---------------------------------------------------------------------------


@pytest.mark.parametrize("registered_on, expires_on", [
    (D(2024, 2, 29), D(2025, 2, 28)),  # leap day: clamped to the end of February
    (D(2023, 2, 28), D(2024, 2, 28)),
    (D(2024, 3, 15), D(2025, 3, 15)),
    (D(2024, 12, 31), D(2025, 12, 31)),
    (D(2023, 3, 1), D(2024, 3, 1)),
])
def test_registration_expires_one_year_later(registered_on, expires_on):
    assert la.registration_expires_on(registered_on) == expires_on


@given(st.dates(min_value=D(2018, 1, 1), max_value=D(2090, 12, 31)))
def test_expiry_is_twelve_calendar_months_later(registered_on):
    expires = la.registration_expires_on(registered_on)
    assert 365 <= (expires - registered_on).days <= 366
    assert (expires.year, expires.month) == (registered_on.year + 1, registered_on.month)
    assert expires.day == registered_on.day or (registered_on.month, registered_on.day) == (2, 29) and expires.day == 28


@given(st.dates(min_value=D(2018, 1, 1), max_value=D(2090, 12, 31)))
def test_a_registration_counts_from_its_first_day_until_the_day_before_it_expires(registered_on):
    r = reg("p1", registered_on)
    assert la.registration_active(r, registered_on)
    assert la.registration_active(r, r.expires_on - dt.timedelta(days=1))
    assert not la.registration_active(r, r.expires_on)
    assert not la.registration_active(r, r.expires_on + dt.timedelta(days=1))
    assert not la.registration_active(r, registered_on - dt.timedelta(days=1))  # future-dated does not count yet


def test_the_validity_comes_from_the_dated_parameter(tmp_path, monkeypatch):
    """A later dated value applies to registrations made from its effective date, and the trace says so."""
    leads = tmp_path / "leads"
    leads.mkdir()
    (leads / "registration_validity_months.yaml").write_text(yaml.safe_dump({
        "description": "test", "unit": "months", "reference": "test",
        "values": {"2018-01-01": {"value": 12, "source": "FAQ"}, "2025-01-01": {"value": 24, "source": "a later policy"}},
    }), encoding="utf-8")
    monkeypatch.setattr(parameters_module, "PARAMETERS_DIR", tmp_path)
    parameters_module._load.cache_clear()
    try:
        assert la.registration_expires_on(D(2024, 12, 31)) == D(2025, 12, 31)
        assert la.registration_expires_on(D(2025, 1, 1)) == D(2027, 1, 1)
        own = reg("p1", D(2025, 1, 1))
        check = la.evaluate_lead("acme.com", "p1", D(2026, 6, 1), None, [own])
        assert check.status == "registered_by_you" and check.expires_on == D(2027, 1, 1)
        fired = {e["rule"]: e for e in check.as_dict("en")["trace"]}
        assert fired["registered_by_you"]["parameters"][0]["value"] == 24
        assert fired["registered_by_you"]["parameters"][0]["effective"] == "2025-01-01"
        assert fired["registered_by_you"]["parameters"][0]["source"] == "a later policy"
        available = la.evaluate_lead("new.com", "p1", D(2025, 3, 1), None, [])
        assert "24" in available.next_steps[0].text["en"] and "2027-03-01" in available.next_steps[0].text["en"]
    finally:
        parameters_module._load.cache_clear()


# --- the account rules -------------------------------------------------------------------------


@pytest.mark.parametrize("account, expected", [
    (None, set()),
    (la.Account("a.com"), set()),
    (la.Account("a.com", customer=True), {"existing_customer"}),
    (la.Account("a.com", active_sales_process=True), {"active_sales_process"}),
    (la.Account("a.com", hubspot_owner="rep@hubspot.com"), {"hubspot_rep_owned"}),
    (la.Account("a.com", hubspot_owner="   "), set()),
    (la.Account("a.com", hubspot_owner="rep@hubspot.com", active_sales_process=True), {"active_sales_process"}),
    (la.Account("a.com", customer=True, hubspot_owner="rep@hubspot.com"), {"existing_customer", "hubspot_rep_owned"}),
    (la.Account("a.com", customer=True, active_sales_process=True), {"existing_customer", "active_sales_process"}),
])
def test_account_rules(account, expected):
    fired = {rule.__name__ for rule in (la.existing_customer, la.active_sales_process, la.hubspot_rep_owned) if rule(account)}
    assert fired == expected


def test_every_rule_quotes_the_faq():
    for rule in (la.registration_validity, la.registration_expires_on, la.registration_active, la.registered_by_you,
                 la.existing_customer, la.active_sales_process, la.hubspot_rep_owned, la.other_partner_owned, la.lead_status):
        assert rule.__doc__ and "FAQ" in rule.__doc__, rule.__name__


# --- statuses and their JSON -------------------------------------------------------------------


@pytest.mark.parametrize("account, regs, status, codes", [
    (None, [], "available", []),
    (la.Account("acme.com", customer=True), [], "unavailable", ["existing_customer"]),
    (la.Account("acme.com", active_sales_process=True), [], "unavailable", ["active_sales_process"]),
    (la.Account("acme.com", hubspot_owner="r@hubspot.com"), [], "unavailable", ["hubspot_rep_owned"]),
    (None, [reg(OWNER, D(2024, 6, 1))], "unavailable", ["other_partner_owned"]),
    (la.Account("acme.com", customer=True, hubspot_owner="r@hubspot.com"), [reg(OWNER, D(2024, 6, 1))], "unavailable",
     ["existing_customer", "hubspot_rep_owned", "other_partner_owned"]),
    (la.Account("acme.com", customer=True, active_sales_process=True, hubspot_owner="r@hubspot.com"), [reg(OWNER, D(2024, 6, 1))],
     "unavailable", ["existing_customer", "active_sales_process", "other_partner_owned"]),
    (la.Account("acme.com", customer=True), [reg("p1", D(2024, 6, 1)), reg(OWNER, D(2024, 7, 1))], "registered_by_you", []),
    (None, [reg(OWNER, D(2023, 6, 1))], "available", []),  # expired
    (None, [reg(OWNER, D(2025, 6, 1))], "available", []),  # future-dated
])
@pytest.mark.parametrize("lang", ["pt", "en"])
@pytest.mark.parametrize("staff", [True, False])
def test_json_shape(account, regs, status, codes, lang, staff):
    check = la.evaluate_lead("acme.com", "p1", D(2025, 1, 10), account, regs, target="https://acme.com/")
    out = check.as_dict(lang, staff=staff)
    assert set(out) == CONTRACT_KEYS | EXTRA_KEYS
    json.dumps(out)  # serialisable as is
    assert out["domain"] == "acme.com"
    assert out["status"] == status and check.status == status
    assert [r["code"] for r in out["reasons"]] == codes == check.reason_codes
    assert out["next_steps"] and all(isinstance(s, str) and s for s in out["next_steps"])
    assert isinstance(out["summary"], str) and out["summary"].endswith(".")
    assert out["expires_on"] == ("2025-06-01" if status == "registered_by_you" else None)
    assert set(out["explanations"]) == set(codes)
    for reason in out["reasons"]:
        assert reason["explanation"] == out["explanations"][reason["code"]][lang]
        assert out["explanations"][reason["code"]]["pt"] != out["explanations"][reason["code"]]["en"]
        allowed = {"code", "explanation"} | ({"owner_partner_id", "owner_expires_on", "owner_partner_ids"} if staff else set())
        assert set(reason) <= allowed
    fired = [e["rule"] for e in out["trace"]]
    for rule in ("normalise_domain", "registered_by_you", "existing_customer", "active_sales_process",
                 "hubspot_rep_owned", "other_partner_owned", "lead_status"):
        assert rule in fired
    assert all({"rule", "outcome", "parameters"} <= set(e) for e in out["trace"])


def test_the_partner_view_never_reveals_the_owner():
    account = la.Account("acme.com", customer=True)
    check = la.evaluate_lead("acme.com", "p1", D(2025, 1, 10), account, [reg(OWNER, D(2024, 6, 1))])
    for lang in ("pt", "en"):
        partner_view = json.dumps(check.as_dict(lang, staff=False), ensure_ascii=False)
        assert OWNER not in partner_view
        assert "2025-06-01" not in partner_view and "01/06/2025" not in partner_view  # nor when the owner's registration ends
        assert OWNER not in check.summary[lang]
        staff_view = check.as_dict(lang, staff=True)
        reason = staff_view["reasons"][-1]
        assert reason["code"] == "other_partner_owned" and reason["owner_partner_id"] == OWNER
        assert OWNER in staff_view["summary"]
        assert OWNER in json.dumps(staff_view["trace"])
    assert check.owner_partner_id == OWNER


def test_registered_by_you_says_until_when_and_about_the_domain():
    check = la.evaluate_lead("xn--caf-dma.com", "p1", D(2025, 1, 10), None, [reg("p1", D(2024, 2, 29), "xn--caf-dma.com")])
    assert check.expires_on == D(2025, 2, 28)
    assert check.domain == "xn--caf-dma.com" and check.display_domain == "café.com"
    en, pt = check.as_dict("en"), check.as_dict("pt")
    assert "2025-02-28" in en["summary"] and "28/02/2025" in pt["summary"]
    assert any("2025-02-28" in s for s in en["next_steps"])
    assert any("café.com" in s for s in en["next_steps"])  # purchase on exactly this domain
    assert any("again" in s for s in en["next_steps"]) and any("novamente" in s for s in pt["next_steps"])


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        la.evaluate_lead("acme.com", "p1", D(2025, 1, 10), None, []).as_dict("fr")


# --- faithfulness of the texts to the FAQ ------------------------------------------------------


def _all(check, lang):
    out = check.as_dict(lang, staff=False)
    return " ".join([r["explanation"] for r in out["reasons"]] + out["next_steps"])


@pytest.mark.parametrize("account, regs, phrases_en, phrases_pt", [
    (la.Account("acme.com", customer=True), [],
     ["Sales Hub", "Marketing Professional", "Enterprise", "partner collaboration", "Partner Development Manager"],
     ["Sales Hub", "Marketing Professional", "Enterprise", "colaboração de parceiro", "Gerente de desenvolvimento de parceiros"]),
    (la.Account("acme.com", active_sales_process=True), [],
     ["partnerteam@hubspot.com", "can't guarantee"], ["partnerteam@hubspot.com", "não podemos garanti"]),
    (la.Account("acme.com", hubspot_owner="r@hubspot.com"), [],
     ["before the customer signs up", "payment link", "sales rep"],
     ["antes de o cliente se inscrever", "link de pagamento", "representante de vendas"]),
    (None, [reg(OWNER, D(2024, 6, 1))],
     ["Best Partner Wins", "proof of services", "Addendum", "signed contract", "payment link that we will send",
      "HubID", "email address of the person who will make the purchase", "partnerteam@hubspot.com"],
     ["Vitória do Melhor Parceiro", "comprovação dos serviços", "Adendo", "contrato assinado",
      "link de pagamento que nós enviaremos", "HubID", "e-mail da pessoa que fará a compra", "partnerteam@hubspot.com"]),
    (None, [], ["as soon as you know", "before you even mention HubSpot", "free account", "12 months"],
     ["assim que souber", "antes de mencionar a HubSpot", "conta gratuita", "12 meses"]),
])
def test_texts_say_what_the_faq_says(account, regs, phrases_en, phrases_pt):
    check = la.evaluate_lead("acme.com", "p1", D(2025, 1, 10), account, regs)
    for lang, phrases in (("en", phrases_en), ("pt", phrases_pt)):
        said = _all(check, lang)
        for phrase in phrases:
            assert phrase in said, (lang, phrase)


@pytest.mark.parametrize("group", ["lead_reasons", "lead_next_steps", "lead_summary"])
def test_every_text_exists_in_both_languages(group):
    entries = yaml.safe_load((TEXTS_DIR / f"{group}.yaml").read_text(encoding="utf-8"))
    assert entries
    for code, entry in entries.items():
        assert set(entry) == {"pt", "en"}, code
        assert entry["pt"].strip() and entry["en"].strip() and entry["pt"] != entry["en"], code
    if group == "lead_reasons":
        assert set(entries) == set(la.REASON_CODES)


# --- against the database ----------------------------------------------------------------------


def test_check_reads_the_database_and_writes_nothing(lead_engine):
    add_partner(lead_engine, "p1")
    add_partner(lead_engine, OWNER)
    add_account(lead_engine, "acme.com", customer=True)
    add_registration(lead_engine, OWNER, "acme.com", "2024-06-01")

    def counts():
        with lead_engine.connect() as conn:
            return [conn.execute(select(func.count()).select_from(t)).scalar() for t in (registrations, lead_claims, audit_log)]

    before = counts()
    with lead_engine.connect() as conn:
        check = la.check_lead(conn, "Sales@ACME.com", "p1", D(2025, 1, 10))
    assert check.status == "unavailable"
    assert check.reason_codes == ["existing_customer", "other_partner_owned"]
    assert check.account.customer and check.target == "Sales@ACME.com" and check.partner_id == "p1"
    assert counts() == before
    with lead_engine.connect() as conn:  # a datetime is taken as its date
        assert la.check_lead(conn, "acme.com", OWNER, dt.datetime(2025, 5, 31, 23, 59)).status == "registered_by_you"
        assert la.check_lead(conn, "acme.com", OWNER, dt.datetime(2025, 6, 1, 0, 0)).status == "unavailable"


@pytest.mark.parametrize("target, code", [
    ("", "bad_domain"), ("   ", "bad_domain"), ("acme", "bad_domain"), ("http://", "bad_domain"),
    ("a b.com", "bad_domain"), ("-acme.com", "bad_domain"), ("acme.c", "bad_domain"), ("x" * 3000 + ".com", "bad_domain"),
])
def test_bad_targets(lead_engine, target, code):
    add_partner(lead_engine, "p1")
    with lead_engine.connect() as conn, pytest.raises(BadInput) as raised:
        la.check_lead(conn, target, "p1", D(2025, 1, 10))
    assert raised.value.code == code
    assert raised.value.message("pt") and raised.value.message("en")


@pytest.mark.parametrize("partner", ["nobody", "", "P1", " "])
def test_unknown_partners(lead_engine, partner):
    add_partner(lead_engine, "p1")
    with lead_engine.connect() as conn, pytest.raises(BadInput) as raised:
        la.check_lead(conn, "acme.com", partner, D(2025, 1, 10))
    assert raised.value.code == "unknown_partner"


LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True).filter(lambda s: "--" not in s)
TLD = st.sampled_from(["com", "com.br", "org", "io", "pt"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=LABEL, tld=TLD, variant=st.sampled_from(["bare", "upper", "www", "url", "email", "dot", "port", "mailto"]))
def test_every_way_of_writing_a_registered_domain_finds_it(lead_engine, name, tld, variant):
    domain = f"{name}.{tld}"
    assume(not domain.startswith("www."))
    if not _has_partner(lead_engine, "p1"):
        add_partner(lead_engine, "p1")
    with lead_engine.connect() as conn:
        known = conn.execute(select(registrations.c.domain).where(registrations.c.domain == domain)).first()
    if not known:
        add_registration(lead_engine, "p1", domain, "2024-06-01")
    written = {
        "bare": domain, "upper": domain.upper(), "www": f"www.{domain}", "url": f"HTTPS://www.{domain}/a/b?c=d#e",
        "email": f"Someone@{domain.upper()}", "dot": f"{domain}.", "port": f"http://{domain}:8443", "mailto": f"mailto:x@{domain}",
    }[variant]
    with lead_engine.connect() as conn:
        check = la.check_lead(conn, written, "p1", D(2025, 1, 10))
    assert check.domain == domain
    assert check.status == "registered_by_you"


def _has_partner(engine, partner_id):
    from rules.db.models import partners

    with engine.connect() as conn:
        return conn.execute(select(partners.c.partner_id).where(partners.c.partner_id == partner_id)).first() is not None
