"""Lead conversations (actions/leads.py): who may check and register, what each answer says, what is audited.

Every test runs the real action against a temporary SQLite database filled with the rows of
the situation, on a fixed day (AS_OF), and asserts the exact events and messages.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import re
from functools import lru_cache

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import leads
from bot.build import merged_domain
from rules.db.models import audit_log, registrations
from rules.texts import text

AS_OF = dt.date(2025, 5, 10)
ME, OTHER, THIRD, STAFF = "P-1001", "P-1002", "P-1003", "ana.staff"
REP = "rep@hubspot.com"


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch):
    monkeypatch.setattr(leads, "today", lambda: AS_OF)


@pytest.fixture
def world(leads_db, lead_data):
    """Three partners and one lead per situation (as_of 2025-05-10).

    acme.com        no account, no registration              → available
    old.com         P-1002's registration expired 2025-01-01  → available
    cliente.com.br  existing customer                          → unavailable: existing_customer
    vendas.com      active sales process (owner too)           → unavailable: active_sales_process
    rep.com         owned by a HubSpot rep                     → unavailable: hubspot_rep_owned
    globex.com      registered by P-1002 on 2025-01-15        → unavailable: other_partner_owned
    tudo.com.br     customer + rep + P-1002's registration    → three reasons
    mine.com        registered by P-1001 on 2025-01-31        → registered_by_you until 2026-01-31
    """
    for partner in (ME, OTHER, THIRD):
        lead_data.add_partner(leads_db, partner)
    lead_data.add_account(leads_db, "cliente.com.br", customer=True, products="sales_hub_starter")
    lead_data.add_account(leads_db, "vendas.com", hubspot_owner=REP, active_sales_process=True)
    lead_data.add_account(leads_db, "rep.com", hubspot_owner=REP)
    lead_data.add_account(leads_db, "tudo.com.br", customer=True, hubspot_owner=REP)
    lead_data.add_registration(leads_db, OTHER, "old.com", "2024-01-01")
    lead_data.add_registration(leads_db, OTHER, "globex.com", "2025-01-15")
    lead_data.add_registration(leads_db, OTHER, "tudo.com.br", "2025-02-01")
    lead_data.add_registration(leads_db, ME, "mine.com", "2025-01-31")
    return leads_db


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain()))
    return events, dispatcher.messages


@lru_cache(maxsize=1)
def domain() -> dict:
    return merged_domain()


def said(messages) -> list:
    """Each message as (response name or text, the values it was sent with)."""
    out = []
    for message in messages:
        values = {k: v for k, v in message.items()
                  if k not in ("text", "response", "template", "buttons", "elements", "custom", "image", "attachment")}
        out.append((message.get("response") or message.get("text"), values))
    return out


def render(message, lang: str, slots: dict | None = None) -> str:
    """The text a person reads: the domain response's variation in `lang`, filled like Rasa fills it."""
    if not message.get("response"):
        return message["text"]
    for variation in domain()["responses"][message["response"]]:
        if {"type": "slot", "name": "language", "value": lang} in variation["condition"]:
            values = {**(slots or {}), **{k: v for k, v in message.items() if isinstance(v, str)}}
            filled = re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), variation["text"])
            assert not re.search(r"\{\w+\}", filled), f"unfilled placeholder in {message['response']}: {filled}"
            return filled
    raise AssertionError(f"{message['response']} has no {lang} variation")


def audit_rows(engine) -> list:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).mappings().all()
    return [(r["actor"], r["role"], r["action"], r["target"], r["partner_id"], r["result"]) for r in rows]


def bullets(*lines) -> str:
    return "\n".join(f"• {line}" for line in lines)


def reason(code, lang="en"):
    return text("lead_reasons", code, lang)


def step(code, lang="en", **values):
    return text("lead_next_steps", code, lang, **values)


AVAILABLE_STEPS_EN = (
    step("register_now", months=12, until="2026-05-10"),
    step("register_before_mentioning_hubspot"),
    step("never_free_account_before_registering"),
)


def check(tracker):
    return run(leads.ActionCheckLead(), tracker)


def checked(domain_name, partner=None, status="unavailable"):
    """Slots after a check of `domain_name` (what action_check_lead leaves behind)."""
    return {"lead_domain": domain_name, "lead_partner_id": partner, "lead_status": status}


# --- who is asking ------------------------------------------------------------------------------


def test_anonymous_check_asks_to_sign_in_and_checks_nothing(world, lead_tracker):
    events, messages = check(lead_tracker("is acme.com free?", "check_lead", slots={"lead_domain": "acme.com"}))
    assert said(messages) == [("utter_sign_in_required", {})]
    assert events == [SlotSet("lead_status", None), SlotSet("lead_reasons", None), SlotSet("lead_expires_on", None)]
    assert audit_rows(world) == []


def test_forged_token_is_anonymous(world, lead_tracker, lead_token):
    forged = lead_token(ME, key="not-the-secret-0123456789abcdef0123456789")
    tracker = lead_tracker("is acme.com free?", "check_lead", token=forged, slots={"lead_domain": "acme.com"})
    events, messages = check(tracker)
    assert said(messages) == [("utter_sign_in_required", {})]
    assert audit_rows(world) == []
    start, _ = run(leads.ActionStartLeadCheck(), tracker)
    assert start == [SlotSet("lead_signed_in", False)]


def test_expired_token_is_anonymous(world, lead_tracker, lead_token):
    expired = lead_token(ME, ttl_seconds=-60)
    events, messages = check(lead_tracker("is acme.com free?", "check_lead", token=expired, slots={"lead_domain": "acme.com"}))
    assert said(messages) == [("utter_sign_in_required", {})]


@pytest.mark.parametrize("start", [leads.ActionStartLeadCheck, leads.ActionStartLeadRegistration])
def test_start_actions_branch_anonymous_people_to_sign_in(world, lead_tracker, start):
    events, messages = run(start(), lead_tracker("register acme.com", "register_lead", entities=[("domain", "acme.com")]))
    assert events == [SlotSet("lead_signed_in", False)]
    assert messages == []


# --- starting a check: a new lead starts over ---------------------------------------------------


def test_start_check_takes_the_domain_and_email_of_the_message_and_forgets_the_previous_lead(world, lead_tracker, lead_token):
    tracker = lead_tracker("is jane@acme.com available?", "check_lead", token=lead_token(ME),
                           entities=[("email", "jane@acme.com"), ("domain", "acme.com"), ("partner_id", OTHER)],
                           slots={"lead_domain": "globex.com", "lead_status": "unavailable", "lead_reasons": ["other_partner_owned"]})
    events, messages = run(leads.ActionStartLeadCheck(), tracker)
    assert events == [
        SlotSet("lead_signed_in", True),
        SlotSet("lead_domain", "acme.com"),
        SlotSet("lead_partner_id", None),  # a partner acts as itself, whatever partner id it writes
        SlotSet("lead_contact_email", "jane@acme.com"),
        SlotSet("lead_status", None),
        SlotSet("lead_reasons", None),
        SlotSet("lead_expires_on", None),
    ]
    assert messages == []


def test_start_check_keeps_an_email_only_as_the_contact_of_its_own_domain(world, lead_tracker, lead_token):
    tracker = lead_tracker("is acme.com free? I know jane@gmail.com", "check_lead", token=lead_token(ME),
                           entities=[("domain", "acme.com"), ("email", "jane@gmail.com")])
    events, _ = run(leads.ActionStartLeadCheck(), tracker)
    assert SlotSet("lead_contact_email", None) in events


def test_start_check_without_a_domain_leaves_it_to_the_form(world, lead_tracker, lead_token):
    tracker = lead_tracker("I want to check a lead", "check_lead", token=lead_token(ME), slots={"lead_domain": "globex.com"})
    events, _ = run(leads.ActionStartLeadCheck(), tracker)
    assert SlotSet("lead_domain", None) in events


def test_start_check_for_staff_takes_the_partner_named(world, lead_tracker, lead_token):
    tracker = lead_tracker("is globex.com free for P-1001?", "check_lead", token=lead_token(STAFF, "staff"),
                           entities=[("domain", "globex.com"), ("partner_id", ME)])
    events, _ = run(leads.ActionStartLeadCheck(), tracker)
    assert events[:3] == [SlotSet("lead_signed_in", True), SlotSet("lead_domain", "globex.com"), SlotSet("lead_partner_id", ME)]


# --- the check form asks only for what is missing -----------------------------------------------


def validate_check(tracker):
    return run(leads.ValidateLeadCheckForm(), tracker)


def test_form_accepts_a_url_as_the_domain_and_is_done_for_a_partner(world, lead_tracker, lead_token):
    tracker = lead_tracker("https://www.Acme.com/contact", "inform", token=lead_token(ME), active_loop="lead_check_form",
                           slots={"requested_slot": "lead_domain"}, candidates={"lead_domain": "https://www.Acme.com/contact"})
    events, messages = validate_check(tracker)
    assert events == [SlotSet("lead_domain", "acme.com"), SlotSet("requested_slot", None)]
    assert messages == []


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_form_refuses_a_bad_domain_in_the_persons_language_and_asks_again(world, lead_tracker, lead_token, lang):
    tracker = lead_tracker("acme corp", "inform", token=lead_token(ME), lang=lang, active_loop="lead_check_form",
                           slots={"requested_slot": "lead_domain"}, candidates={"lead_domain": "acme corp"})
    events, messages = validate_check(tracker)
    assert events == [SlotSet("lead_domain", None), SlotSet("requested_slot", "lead_domain")]
    assert said(messages) == [(text("errors", "bad_domain", lang, target="acme corp", why="not a domain"), {})]
    assert messages[0]["text"].startswith({"en": "“acme corp” is not a valid domain", "pt": "“acme corp” não é um domínio"}[lang])


def test_form_asks_staff_for_the_partner(world, lead_tracker, lead_token):
    tracker = lead_tracker("is globex.com available?", "check_lead", token=lead_token(STAFF, "staff"), active_loop="lead_check_form",
                           candidates={"lead_domain": "globex.com"})
    events, messages = validate_check(tracker)
    # The form's own slot order (lead_domain, lead_partner_id) is the staff's: Rasa asks the partner next.
    assert events == [SlotSet("lead_domain", "globex.com")]
    assert asyncio.run(leads.ValidateLeadCheckForm().required_slots([], CollectingDispatcher(), tracker, domain())) == \
        ["lead_domain", "lead_partner_id"]


def test_form_asks_a_partner_only_for_the_domain(world, lead_tracker, lead_token):
    tracker = lead_tracker("I want to check a lead", "check_lead", token=lead_token(ME), active_loop="lead_check_form")
    events, _ = validate_check(tracker)
    assert events == [SlotSet("requested_slot", "lead_domain")]


def test_form_ignores_a_partner_id_written_by_a_partner(world, lead_tracker, lead_token):
    tracker = lead_tracker("globex.com for P-1002", "inform", token=lead_token(ME), active_loop="lead_check_form",
                           candidates={"lead_domain": "globex.com", "lead_partner_id": OTHER})
    events, messages = validate_check(tracker)
    assert events == [SlotSet("lead_domain", "globex.com"), SlotSet("requested_slot", None)]
    assert messages == []


@pytest.mark.parametrize("lang, expected", [("en", "Unknown partner “P-9999”."), ("pt", "Não conheço o parceiro “P-9999”.")])
def test_form_refuses_an_unknown_partner_and_asks_again(world, lead_tracker, lead_token, lang, expected):
    tracker = lead_tracker("P-9999", "inform", token=lead_token(STAFF, "staff"), lang=lang, active_loop="lead_check_form",
                           slots={"lead_domain": "globex.com", "requested_slot": "lead_partner_id"},
                           candidates={"lead_partner_id": "P-9999"})
    events, messages = validate_check(tracker)
    assert events == [SlotSet("lead_partner_id", None)]
    assert said(messages) == [(expected, {})]


def test_form_accepts_a_known_partner(world, lead_tracker, lead_token):
    tracker = lead_tracker("P-1001", "inform", token=lead_token(STAFF, "staff"), active_loop="lead_check_form",
                           slots={"lead_domain": "globex.com", "requested_slot": "lead_partner_id"},
                           candidates={"lead_partner_id": " P-1001 "})
    events, messages = validate_check(tracker)
    assert events == [SlotSet("lead_partner_id", ME)]
    assert messages == []


def test_form_asks_anonymous_people_nothing(world, lead_tracker):
    events, messages = validate_check(lead_tracker("acme.com", "inform", active_loop="lead_check_form",
                                                   candidates={"lead_domain": "acme.com"}))
    assert events == [SlotSet("requested_slot", None)]
    assert messages == []


# --- the answer -----------------------------------------------------------------------------------


def test_available_lead_for_a_partner_with_the_timing_advice(world, lead_tracker, lead_token):
    events, messages = check(lead_tracker("is acme.com free?", "check_lead", token=lead_token(ME), slots={"lead_domain": "acme.com"}))
    assert said(messages) == [("utter_lead_available", {
        "summary": "acme.com is available: you can register this lead.",
        "reasons": "",
        "next_steps": bullets(*AVAILABLE_STEPS_EN),
        "domain": "acme.com",
    })]
    assert "before you even mention HubSpot" in messages[0]["next_steps"]
    assert "Never sign the customer up for a free account" in messages[0]["next_steps"]
    assert events == [SlotSet("lead_domain", "acme.com"), SlotSet("lead_status", "available"),
                      SlotSet("lead_reasons", []), SlotSet("lead_expires_on", None)]
    assert audit_rows(world) == [(ME, "partner", "lead_check", "acme.com", ME, "available")]


def test_available_lead_in_portuguese(world, lead_tracker, lead_token):
    _, messages = check(lead_tracker("o acme.com tá livre?", "check_lead", lang="pt", token=lead_token(ME), slots={"lead_domain": "acme.com"}))
    assert messages[0]["summary"] == "acme.com está disponível: você pode registrar este lead."
    assert messages[0]["next_steps"] == bullets(step("register_now", "pt", months=12, until="10/05/2026"),
                                                step("register_before_mentioning_hubspot", "pt"),
                                                step("never_free_account_before_registering", "pt"))
    assert render(messages[0], "pt").startswith("✅ acme.com está disponível")


def test_an_expired_registration_no_longer_blocks(world, lead_tracker, lead_token):
    events, messages = check(lead_tracker("old.com?", "check_lead", token=lead_token(ME), slots={"lead_domain": "old.com"}))
    assert messages[0]["response"] == "utter_lead_available"
    assert SlotSet("lead_status", "available") in events


@pytest.mark.parametrize("domain_name, code", [
    ("cliente.com.br", "existing_customer"),
    ("vendas.com", "active_sales_process"),
    ("rep.com", "hubspot_rep_owned"),
    ("globex.com", "other_partner_owned"),
])
@pytest.mark.parametrize("lang", ["en", "pt"])
def test_each_reason_is_explained(world, lead_tracker, lead_token, domain_name, code, lang):
    events, messages = check(lead_tracker(domain_name, "check_lead", lang=lang, token=lead_token(ME), slots={"lead_domain": domain_name}))
    summaries = {
        "en": f"{domain_name} is unavailable: {text('lead_summary', 'reason_' + code, 'en')}.",
        "pt": f"{domain_name} está indisponível: {text('lead_summary', 'reason_' + code, 'pt')}.",
    }
    assert said(messages) == [("utter_lead_unavailable", {
        "summary": summaries[lang],
        "reasons": bullets(reason(code, lang)),
        "next_steps": messages[0]["next_steps"],
        "domain": domain_name,
    })]
    assert events == [SlotSet("lead_domain", domain_name), SlotSet("lead_status", "unavailable"),
                      SlotSet("lead_reasons", [code]), SlotSet("lead_expires_on", None)]
    assert render(messages[0], lang).startswith("⛔ " + summaries[lang])


def test_every_reason_at_once_in_the_faq_order(world, lead_tracker, lead_token):
    events, messages = check(lead_tracker("tudo.com.br", "check_lead", token=lead_token(ME), slots={"lead_domain": "tudo.com.br"}))
    codes = ["existing_customer", "hubspot_rep_owned", "other_partner_owned"]
    assert messages[0]["summary"] == (
        "tudo.com.br is unavailable: the account is an existing HubSpot customer, the account belongs to a HubSpot rep "
        "and the account belongs to another partner."
    )
    assert messages[0]["reasons"] == bullets(*(reason(c) for c in codes))
    assert SlotSet("lead_reasons", codes) in events


def test_a_partner_never_learns_who_owns_a_lead(world, lead_tracker, lead_token):
    _, messages = check(lead_tracker("globex.com", "check_lead", token=lead_token(ME), slots={"lead_domain": "globex.com"}))
    assert OTHER not in render(messages[0], "en")
    assert all(OTHER not in str(v) for v in messages[0].values())


def test_staff_checks_for_a_named_partner_and_sees_the_owner(world, lead_tracker, lead_token):
    tracker = lead_tracker("globex.com", "check_lead", token=lead_token(STAFF, "staff"),
                           slots={"lead_domain": "globex.com", "lead_partner_id": ME})
    events, messages = check(tracker)
    assert messages[0]["summary"] == "globex.com is unavailable: the account belongs to another partner (P-1002, until 2026-01-15)."
    assert audit_rows(world) == [(STAFF, "staff", "lead_check", "globex.com", ME, "unavailable")]
    # Checked for the partner that owns it, the same lead is that partner's own.
    tracker = lead_tracker("globex.com", "check_lead", token=lead_token(STAFF, "staff"),
                           slots={"lead_domain": "globex.com", "lead_partner_id": OTHER})
    events, messages = check(tracker)
    assert messages[0]["response"] == "utter_lead_registered_by_you"
    assert SlotSet("lead_expires_on", "2026-01-15") in events


@pytest.mark.parametrize("lang, summary", [
    ("en", "mine.com is registered by you until 2026-01-31."),
    ("pt", "mine.com está registrado por você até 31/01/2026."),
])
def test_registered_by_you_with_the_expiry_date(world, lead_tracker, lead_token, lang, summary):
    events, messages = check(lead_tracker("mine.com", "check_lead", lang=lang, token=lead_token(ME), slots={"lead_domain": "mine.com"}))
    until = "2026-01-31" if lang == "en" else "31/01/2026"
    assert said(messages) == [("utter_lead_registered_by_you", {
        "summary": summary,
        "reasons": "",
        "next_steps": bullets(step("registered_until", lang, until=until), step("reregister_after_expiry", lang, until=until),
                              step("purchase_on_registered_domain", lang, domain="mine.com")),
        "domain": "mine.com",
    })]
    assert events == [SlotSet("lead_domain", "mine.com"), SlotSet("lead_status", "registered_by_you"),
                      SlotSet("lead_reasons", []), SlotSet("lead_expires_on", "2026-01-31")]


def test_a_signed_in_partner_missing_from_the_database_is_told_so_and_audited(world, lead_tracker, lead_token):
    events, messages = check(lead_tracker("acme.com", "check_lead", token=lead_token("P-7777"), slots={"lead_domain": "acme.com"}))
    assert said(messages) == [("Unknown partner “P-7777”.", {})]
    assert events == [SlotSet("lead_status", None), SlotSet("lead_reasons", None), SlotSet("lead_expires_on", None)]
    assert audit_rows(world) == [("P-7777", "partner", "lead_check", "acme.com", "P-7777", "bad_input:unknown_partner")]


def test_database_trouble_gets_a_clear_message_not_an_exception(world, lead_tracker, lead_token, monkeypatch):
    def broken():
        raise RuntimeError("database is gone")

    monkeypatch.setattr(leads, "database", broken)
    events, messages = check(lead_tracker("acme.com", "check_lead", token=lead_token(ME), slots={"lead_domain": "acme.com"}))
    assert said(messages) == [("utter_lead_error", {})]
    assert events == [SlotSet("lead_status", None), SlotSet("lead_reasons", None), SlotSet("lead_expires_on", None)]


# --- why? / what can I do? ------------------------------------------------------------------------


def explain(tracker):
    return run(leads.ActionExplainLead(), tracker)


def test_why_explains_every_reason_and_every_option(world, lead_tracker, lead_token):
    tracker = lead_tracker("why?", "explain_unavailability", token=lead_token(ME), slots=checked("tudo.com.br"))
    events, messages = explain(tracker)
    assert said(messages) == [("utter_lead_explanation", {
        "domain": "tudo.com.br",
        "summary": messages[0]["summary"],
        "reasons": bullets(reason("existing_customer"), reason("hubspot_rep_owned"), reason("other_partner_owned")),
        "next_steps": bullets(step("partner_collaboration_upgrade"), step("notify_before_signup"), step("rep_payment_link"),
                              step("proof_of_services"), step("partner_payment_link"),
                              step("contact_partner_team_best_partner_wins")),
    })]
    shown = render(messages[0], "en")
    for option in ("partner collaboration", "Best Partner Wins", "payment link the rep will provide", "partnerteam@hubspot.com"):
        assert option in shown
    assert OTHER not in shown
    assert events == [SlotSet("lead_domain", "tudo.com.br"), SlotSet("lead_status", "unavailable"),
                      SlotSet("lead_reasons", ["existing_customer", "hubspot_rep_owned", "other_partner_owned"]),
                      SlotSet("lead_expires_on", None)]
    assert audit_rows(world) == [(ME, "partner", "lead_explain", "tudo.com.br", ME, "unavailable")]


@pytest.mark.parametrize("domain_name, steps", [
    ("cliente.com.br", ["partner_collaboration_upgrade", "contact_partner_team"]),
    ("vendas.com", ["work_with_partner_team"]),
    ("rep.com", ["notify_before_signup", "rep_payment_link", "contact_partner_team"]),
    ("globex.com", ["proof_of_services", "partner_payment_link", "contact_partner_team_best_partner_wins"]),
])
def test_what_can_i_do_in_portuguese_for_each_reason(world, lead_tracker, lead_token, domain_name, steps):
    tracker = lead_tracker("o que posso fazer?", "explain_unavailability", lang="pt", token=lead_token(ME), slots=checked(domain_name))
    _, messages = explain(tracker)
    assert messages[0]["response"] == "utter_lead_explanation"
    assert messages[0]["next_steps"] == bullets(*(step(s, "pt") for s in steps))
    assert render(messages[0], "pt").startswith(f"Por que {domain_name} está indisponível:\n• ")


def test_staff_explanation_names_the_owner(world, lead_tracker, lead_token):
    tracker = lead_tracker("why?", "explain_unavailability", token=lead_token(STAFF, "staff"), slots=checked("globex.com", partner=ME))
    _, messages = explain(tracker)
    assert OTHER in messages[0]["summary"]
    assert audit_rows(world) == [(STAFF, "staff", "lead_explain", "globex.com", ME, "unavailable")]


def test_why_for_an_available_lead_gives_the_timing_advice(world, lead_tracker, lead_token):
    _, messages = explain(lead_tracker("why?", "explain_unavailability", token=lead_token(ME), slots=checked("acme.com", status="available")))
    assert said(messages)[0][0] == "utter_lead_available"
    assert messages[0]["next_steps"] == bullets(*AVAILABLE_STEPS_EN)


@pytest.mark.parametrize("slots", [{}, "another lead checked"])
def test_why_names_the_lead_it_asks_about(world, lead_tracker, lead_token, slots):
    slots = checked("vendas.com") if slots else {}
    tracker = lead_tracker("why is globex.com unavailable?", "explain_unavailability", entities=[("domain", "globex.com")],
                           token=lead_token(ME), slots=slots)
    events, messages = explain(tracker)
    assert [m["response"] for m in messages] == ["utter_lead_explanation"]
    assert messages[0]["domain"] == "globex.com"
    assert messages[0]["reasons"] == bullets(reason("other_partner_owned"))
    assert SlotSet("lead_domain", "globex.com") in events and SlotSet("lead_status", "unavailable") in events
    assert audit_rows(world) == [(ME, "partner", "lead_explain", "globex.com", ME, "unavailable")]


def test_staff_asking_why_for_a_named_partner(world, lead_tracker, lead_token):
    tracker = lead_tracker(f"why is globex.com unavailable for {ME}?", "explain_unavailability",
                           entities=[("domain", "globex.com"), ("partner_id", ME)], token=lead_token(STAFF, "staff"))
    events, messages = explain(tracker)
    assert messages[0]["response"] == "utter_lead_explanation" and OTHER in messages[0]["summary"]
    assert SlotSet("lead_partner_id", ME) in events
    assert audit_rows(world) == [(STAFF, "staff", "lead_explain", "globex.com", ME, "unavailable")]


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_staff_asking_why_without_a_partner_are_asked_whose_lead(world, lead_tracker, lead_token, lang):
    tracker = lead_tracker("why is HTTPS://Globex.com/ unavailable?", "explain_unavailability", lang=lang,
                           entities=[("domain", "HTTPS://Globex.com/")], token=lead_token(STAFF, "staff"))
    events, messages = explain(tracker)
    assert said(messages) == [("utter_lead_explain_which_partner", {"domain": "globex.com"})]
    assert "P-1001" in render(messages[0], lang)
    assert events == [] and audit_rows(world) == []


def test_why_for_a_bad_domain_named_says_so_in_the_language(world, lead_tracker, lead_token):
    tracker = lead_tracker("por que o acme..com está indisponível?", "explain_unavailability", lang="pt",
                           entities=[("domain", "acme..com")], token=lead_token(ME), slots=checked("globex.com"))
    events, messages = explain(tracker)
    assert len(messages) == 1 and messages[0]["text"] and "acme..com" in messages[0]["text"]
    assert events == []


def test_why_before_any_check(world, lead_tracker, lead_token):
    events, messages = explain(lead_tracker("why?", "explain_unavailability", token=lead_token(ME)))
    assert said(messages) == [("utter_lead_nothing_to_explain", {})]
    assert events == []
    assert audit_rows(world) == []


def test_why_when_signed_out(world, lead_tracker):
    events, messages = explain(lead_tracker("why?", "explain_unavailability", slots=checked("globex.com")))
    assert said(messages) == [("utter_sign_in_required", {})]
    assert events == []


# --- registering ----------------------------------------------------------------------------------


def test_yes_to_the_offer_keeps_the_lead_just_checked(world, lead_tracker, lead_token):
    tracker = lead_tracker("yes", "affirm", token=lead_token(ME), slots=checked("acme.com", status="available"))
    events, messages = run(leads.ActionStartLeadRegistration(), tracker)
    assert events == [SlotSet("lead_signed_in", True)]
    assert messages == []


def test_register_another_lead_starts_over_with_its_contact(world, lead_tracker, lead_token):
    tracker = lead_tracker("register bob@hooli.com", "register_lead", token=lead_token(ME),
                           entities=[("email", "bob@hooli.com"), ("domain", "hooli.com")],
                           slots={**checked("acme.com", status="available"), "lead_contact_email": "jane@acme.com"})
    events, _ = run(leads.ActionStartLeadRegistration(), tracker)
    assert events == [
        SlotSet("lead_signed_in", True), SlotSet("lead_domain", "hooli.com"), SlotSet("lead_partner_id", None),
        SlotSet("lead_contact_email", "bob@hooli.com"),
        SlotSet("lead_status", None), SlotSet("lead_reasons", None), SlotSet("lead_expires_on", None),
    ]


def test_registration_form_asks_for_the_contact_and_refuses_a_bad_email(world, lead_tracker, lead_token):
    validate = leads.ValidateLeadRegistrationForm()
    tracker = lead_tracker("yes", "affirm", token=lead_token(ME), active_loop="lead_registration_form",
                           slots={"lead_domain": "acme.com"})
    events, _ = run(validate, tracker)
    assert events == [SlotSet("requested_slot", "lead_contact_email")]

    tracker = lead_tracker("john from the kitchen", "inform", lang="pt", token=lead_token(ME), active_loop="lead_registration_form",
                           slots={"lead_domain": "acme.com", "requested_slot": "lead_contact_email"},
                           candidates={"lead_contact_email": "john from the kitchen"})
    events, messages = run(validate, tracker)
    assert events == [SlotSet("lead_contact_email", None), SlotSet("requested_slot", "lead_contact_email")]
    assert said(messages) == [("“john from the kitchen” não é um e-mail válido.", {})]

    tracker = lead_tracker("Jane@ACME.com", "inform", token=lead_token(ME), active_loop="lead_registration_form",
                           slots={"lead_domain": "acme.com", "requested_slot": "lead_contact_email"},
                           candidates={"lead_contact_email": "Jane@ACME.com"})
    events, messages = run(validate, tracker)
    assert events == [SlotSet("lead_contact_email", "Jane@acme.com"), SlotSet("requested_slot", None)]
    assert messages == []


def test_registration_form_asks_staff_for_the_partner(world, lead_tracker, lead_token):
    tracker = lead_tracker("register acme.com", "register_lead", token=lead_token(STAFF, "staff"),
                           active_loop="lead_registration_form", candidates={"lead_domain": "acme.com"})
    assert asyncio.run(leads.ValidateLeadRegistrationForm().required_slots([], CollectingDispatcher(), tracker, domain())) == \
        ["lead_domain", "lead_partner_id", "lead_contact_email"]


def test_registration_form_does_not_ask_a_contact_for_a_lead_just_found_unavailable(world, lead_tracker, lead_token):
    tracker = lead_tracker("register it", "register_lead", token=lead_token(ME), active_loop="lead_registration_form",
                           slots=checked("globex.com"))
    events, messages = run(leads.ValidateLeadRegistrationForm(), tracker)
    assert events == [SlotSet("requested_slot", None)]
    assert messages == []


def register(tracker):
    return run(leads.ActionRegisterLead(), tracker)


def registration_rows(engine) -> list:
    with engine.connect() as conn:
        rows = conn.execute(select(registrations).order_by(registrations.c.id)).mappings().all()
    return [(r["partner_id"], r["domain"], r["contact_email"], r["registered_on"], r["expires_on"]) for r in rows]


def test_partner_registers_an_available_lead(world, lead_tracker, lead_token):
    tracker = lead_tracker("jane@acme.com", "inform", token=lead_token(ME),
                           slots={**checked("acme.com", status="available"), "lead_contact_email": "jane@acme.com"})
    events, messages = register(tracker)
    assert said(messages) == [("utter_lead_registered", {
        "summary": "acme.com is now registered to you; the registration is valid until 2026-05-10.",
        "contact": "jane@acme.com",
        "next_steps": bullets(step("registered_until", until="2026-05-10"), step("reregister_after_expiry", until="2026-05-10"),
                              step("purchase_on_registered_domain", domain="acme.com")),
    })]
    assert events == [SlotSet("lead_domain", "acme.com"), SlotSet("lead_status", "registered_by_you"),
                      SlotSet("lead_reasons", []), SlotSet("lead_expires_on", "2026-05-10")]
    assert (ME, "acme.com", "jane@acme.com", AS_OF, dt.date(2026, 5, 10)) in registration_rows(world)
    assert audit_rows(world) == [(ME, "partner", "lead_register", "acme.com", ME, "registered")]


def test_registration_in_portuguese(world, lead_tracker, lead_token):
    tracker = lead_tracker("sim", "affirm", lang="pt", token=lead_token(ME),
                           slots={**checked("old.com", status="available"), "lead_contact_email": "ze@old.com"})
    _, messages = register(tracker)
    assert messages[0]["summary"] == "old.com foi registrado para você agora e o registro vale até 10/05/2026."
    assert render(messages[0], "pt").startswith("✅ old.com foi registrado para você agora")
    assert "Contato do registro: ze@old.com" in render(messages[0], "pt")


@pytest.mark.parametrize("lang, explanation", [
    ("en", "The lead was not registered because it is unavailable."),
    ("pt", "O lead não foi registrado porque está indisponível."),
])
def test_an_unavailable_lead_is_not_registered_and_the_reason_is_given(world, lead_tracker, lead_token, lang, explanation):
    tracker = lead_tracker("register globex.com", "register_lead", lang=lang, token=lead_token(ME),
                           slots={"lead_domain": "globex.com", "lead_contact_email": "x@globex.com"})
    events, messages = register(tracker)
    assert said(messages)[0] == ("utter_lead_not_registered", {"explanation": explanation})
    assert said(messages)[1][0] == "utter_lead_unavailable"
    assert messages[1]["reasons"] == bullets(reason("other_partner_owned", lang))
    assert OTHER not in render(messages[1], lang)
    assert SlotSet("lead_status", "unavailable") in events
    assert [r for r in registration_rows(world) if r[1] == "globex.com"] == [(OTHER, "globex.com", "contact@globex.com",
                                                                              dt.date(2025, 1, 15), dt.date(2026, 1, 15))]
    assert audit_rows(world) == [(ME, "partner", "lead_register", "globex.com", ME, "not_registered:unavailable")]


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_register_right_after_an_unavailable_answer_says_why_without_asking_a_contact(world, lead_tracker, lead_token, lang):
    tracker = lead_tracker("register it", "register_lead", lang=lang, token=lead_token(ME), slots=checked("rep.com"))
    events, messages = register(tracker)
    assert said(messages)[0] == ("utter_lead_not_registered", {"explanation": text("lead_summary", "not_registered_unavailable", lang)})
    assert said(messages)[1][0] == "utter_lead_unavailable"
    assert messages[1]["reasons"] == bullets(reason("hubspot_rep_owned", lang))
    assert events == [SlotSet("lead_domain", "rep.com"), SlotSet("lead_status", "unavailable"),
                      SlotSet("lead_reasons", ["hubspot_rep_owned"]), SlotSet("lead_expires_on", None)]
    assert [r for r in registration_rows(world) if r[1] == "rep.com"] == []
    assert audit_rows(world) == [(ME, "partner", "lead_register", "rep.com", ME, "not_registered:unavailable")]


def test_register_right_after_a_registered_by_you_answer(world, lead_tracker, lead_token):
    tracker = lead_tracker("register it", "register_lead", token=lead_token(ME), slots=checked("mine.com", status="registered_by_you"))
    events, messages = register(tracker)
    assert said(messages)[0] == ("utter_lead_not_registered",
                                 {"explanation": "The lead was not registered again: it is already registered by you."})
    assert audit_rows(world) == [(ME, "partner", "lead_register", "mine.com", ME, "not_registered:already_yours")]


def test_a_lead_available_again_since_the_check_is_shown_available(world, lead_tracker, lead_token):
    tracker = lead_tracker("register it", "register_lead", token=lead_token(ME), slots=checked("acme.com"))
    events, messages = register(tracker)
    assert said(messages)[0][0] == "utter_lead_available"
    assert SlotSet("lead_status", "available") in events
    assert audit_rows(world) == [(ME, "partner", "lead_register", "acme.com", ME, "not_registered:no_contact")]


def test_a_lead_already_yours_is_not_registered_again(world, lead_tracker, lead_token):
    tracker = lead_tracker("register mine.com", "register_lead", token=lead_token(ME),
                           slots={"lead_domain": "mine.com", "lead_contact_email": "x@mine.com"})
    events, messages = register(tracker)
    assert said(messages)[0] == ("utter_lead_not_registered",
                                 {"explanation": "The lead was not registered again: it is already registered by you."})
    assert said(messages)[1][0] == "utter_lead_registered_by_you"
    assert SlotSet("lead_expires_on", "2026-01-31") in events


def test_staff_registers_for_the_partner_named(world, lead_tracker, lead_token):
    tracker = lead_tracker("yes", "affirm", token=lead_token(STAFF, "staff"),
                           slots={**checked("acme.com", partner=THIRD, status="available"), "lead_contact_email": "jane@acme.com"})
    events, messages = register(tracker)
    assert messages[0]["response"] == "utter_lead_registered"
    assert (THIRD, "acme.com", "jane@acme.com", AS_OF, dt.date(2026, 5, 10)) in registration_rows(world)
    assert audit_rows(world) == [(STAFF, "staff", "lead_register", "acme.com", THIRD, "registered")]


def test_a_second_partner_cannot_register_the_same_lead(world, lead_tracker, lead_token):
    first = lead_tracker("yes", "affirm", token=lead_token(ME), slots={"lead_domain": "acme.com", "lead_contact_email": "a@acme.com"})
    second = lead_tracker("yes", "affirm", token=lead_token(THIRD), slots={"lead_domain": "acme.com", "lead_contact_email": "b@acme.com"})
    register(first)
    events, messages = register(second)
    assert said(messages)[0] == ("utter_lead_not_registered", {"explanation": "The lead was not registered because it is unavailable."})
    assert ME not in render(messages[1], "en")
    assert [r[0] for r in registration_rows(world) if r[1] == "acme.com"] == [ME]


def test_registration_refuses_a_bad_contact_email_without_writing_a_registration(world, lead_tracker, lead_token):
    tracker = lead_tracker("yes", "affirm", token=lead_token(ME), slots={"lead_domain": "acme.com", "lead_contact_email": "not an email"})
    events, messages = register(tracker)
    assert said(messages) == [("“not an email” is not a valid email address.", {})]
    assert events == []
    assert [r for r in registration_rows(world) if r[1] == "acme.com"] == []
    assert audit_rows(world) == [(ME, "partner", "lead_register", "acme.com", ME, "bad_input:bad_email")]


def test_anonymous_registration_registers_nothing(world, lead_tracker):
    events, messages = register(lead_tracker("yes", "affirm", slots={"lead_domain": "acme.com", "lead_contact_email": "a@acme.com"}))
    assert said(messages) == [("utter_sign_in_required", {})]
    assert events == []
    assert [r for r in registration_rows(world) if r[1] == "acme.com"] == []
    assert audit_rows(world) == []


# --- what the domain must provide -------------------------------------------------------------------


LEAD_RESPONSES = [
    "utter_sign_in_required", "utter_ask_lead_domain", "utter_ask_lead_partner_id", "utter_ask_lead_contact_email",
    "utter_lead_available", "utter_lead_unavailable", "utter_lead_registered_by_you", "utter_offer_lead_registration",
    "utter_lead_explanation", "utter_lead_explain_which_partner", "utter_lead_nothing_to_explain", "utter_lead_registered", "utter_lead_not_registered",
    "utter_lead_error",
]


@pytest.mark.parametrize("name", LEAD_RESPONSES)
def test_every_lead_response_speaks_both_languages(name):
    variations = domain()["responses"][name]
    languages = sorted(c["value"] for v in variations for c in v["condition"] if c["name"] == "language")
    assert languages == ["en", "pt"]


def test_the_offer_has_yes_and_no_buttons_in_both_languages():
    for variation in domain()["responses"]["utter_offer_lead_registration"]:
        assert [b["payload"] for b in variation["buttons"]] == ["/affirm", "/deny"]
    rendered = render({"response": "utter_offer_lead_registration"}, "pt", slots={"lead_domain": "acme.com"})
    assert rendered == "Quer que eu registre acme.com agora?"


def test_every_action_and_form_of_the_flow_is_declared():
    declared = {a if isinstance(a, str) else next(iter(a)) for a in domain()["actions"]}  # or {name: {send_domain: …}}
    names = {cls().name() for cls in (leads.ActionStartLeadCheck, leads.ValidateLeadCheckForm, leads.ActionCheckLead,
                                      leads.ActionExplainLead, leads.ActionStartLeadRegistration,
                                      leads.ValidateLeadRegistrationForm, leads.ActionRegisterLead)}
    assert names <= declared
    assert set(domain()["forms"]) >= {"lead_check_form", "lead_registration_form"}
