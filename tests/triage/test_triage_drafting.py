"""Reply drafts: text in the sender's language and the .eml reply (bot/triage/drafting.py). No model needed."""
from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest

from bot.knowledge import faq_entry
from bot.triage.drafting import first_name, reply_message, reply_subject, reply_text_for
from bot.triage.texts import reply_text
from rules.lead_availability import Account, Registration, evaluate_lead, registration_expires_on

AS_OF = dt.date(2026, 11, 30)


def registration(partner_id, domain, registered_on):
    return Registration(partner_id, domain, registered_on, registration_expires_on(registered_on))


def owned_by_other(asker="P-1003"):
    reg = registration("P-1007", "vinicola-serra.com.br", dt.date(2026, 4, 1))
    return evaluate_lead("vinicola-serra.com.br", asker, AS_OF, Account("vinicola-serra.com.br"), [reg])


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_faq_answer_in_the_senders_language(lang):
    text = reply_text_for(lang, "Marina", "commission", "commission_how_paid", [], False, False)
    entry = faq_entry("commission_how_paid")
    assert text.startswith(reply_text("greeting_named", lang, name="Marina"))
    assert entry.answer_in(lang) in text
    assert entry.question_in(lang) in text
    assert text.rstrip().endswith(reply_text("sign_off", lang).splitlines()[-1])
    other = "en" if lang == "pt" else "pt"
    assert entry.answer_in(other) not in text


def test_lead_checks_use_the_partner_view_never_the_owner():
    check = owned_by_other()
    assert check.owner_partner_id == "P-1007"  # the staff view knows
    for lang in ("pt", "en"):
        text = reply_text_for(lang, None, "lead_check", None, [check], False, False)
        assert "P-1007" not in text
        assert check.summary_text(lang, staff=False) in text
        for step in check.next_steps:
            assert step.text[lang] in text
        assert reply_text("topic_text.lead_check", lang) not in text  # the checks are the answer


def test_lead_check_without_domain_asks_for_it():
    text = reply_text_for("pt", "Ana", "lead_check", None, [], False, False)
    assert reply_text("topic_text.lead_check", "pt") in text


def test_flow_topics_and_unknown_topics():
    assert reply_text("topic_text.commission_estimate", "en") in reply_text_for("en", None, "commission_estimate", None, [], False, False)
    registration_answer = faq_entry("lead_registration_how_works").answer_in("pt")
    assert registration_answer in reply_text_for("pt", None, "lead_registration", None, [], False, False)
    assert reply_text("topic_text.unclear", "en") in reply_text_for("en", None, "something_new", None, [], False, True)
    assert reply_text("topic_text.empty", "pt") in reply_text_for("pt", None, "empty", None, [], False, True)


def test_dispute_and_follow_up_notes():
    dispute = reply_text_for("pt", "Marina", "commission", "commission_how_paid", [], True, True)
    assert reply_text("dispute", "pt") in dispute
    assert reply_text("follow_up", "pt") not in dispute
    unsure = reply_text_for("en", None, "tiers", "tiers_calculation", [], False, True)
    assert reply_text("follow_up", "en") in unsure
    sure = reply_text_for("en", None, "tiers", "tiers_calculation", [], False, False)
    assert reply_text("follow_up", "en") not in sure
    assert reply_text("greeting_anonymous", "en") in sure


@pytest.mark.parametrize("name, first", [("Marina Costa", "Marina"), ("MARINA COSTA", "Marina"), ("joão alves", "João"),
                                         ("Costa, Marina", "Marina"), ("Daniel Kim | Maple & Pine", "Daniel"),
                                         ("", None), ("ana@x.com", None), ("123 Corp", None), ("McDonald", "McDonald")])
def test_first_name(name, first):
    assert first_name(name) == first


@pytest.mark.parametrize("subject, reply", [("Lead check", "Re: Lead check"), ("Re: Lead check", "Re: Lead check"),
                                            ("RES: RE: Lead", "Re: Lead"), ("Fwd: Proposta", "Re: Fwd: Proposta"),
                                            ("", "Re:")])
def test_reply_subject(subject, reply):
    assert reply_subject(subject) == reply


def test_reply_message_threads_and_encodes():
    body = reply_text_for("pt", "João", "commission", "commission_how_paid", [], False, False)
    msg = reply_message(to_name="João Pedro Alves", to_address="joao.alves@riogrowth.com.br",
                        subject="Dúvida sobre comissões", message_id="<m1@riogrowth.com.br>",
                        references=["<m0@riogrowth.com.br>", "<r0@hubspot.com>"], body=body, lang="pt",
                        topic="commission", needs_human=False)
    raw = msg.as_bytes()
    assert raw.isascii()  # 7-bit safe: encoded words and quoted-printable
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["From"] == "HubSpot Partner Team <partnerteam@hubspot.com>"
    assert parsed["To"] == "João Pedro Alves <joao.alves@riogrowth.com.br>"
    assert parsed["Subject"] == "Re: Dúvida sobre comissões"
    assert parsed["In-Reply-To"] == "<m1@riogrowth.com.br>"
    assert parsed["References"] == "<m0@riogrowth.com.br> <r0@hubspot.com> <m1@riogrowth.com.br>"
    assert parsed["Content-Language"] == "pt"
    assert parsed["X-Partnerbot-Needs-Human"] == "no"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed.get_content().replace("\r\n", "\n") == body  # .eml lines end in CRLF
    assert parsed["Message-ID"].endswith("@hubspot.com>")


def test_reply_without_message_id_or_sender():
    msg = reply_message(to_name="", to_address=None, subject="x", message_id=None, references=[], body="Olá\n",
                        lang="pt", topic="empty", needs_human=True)
    assert msg["To"] is None and msg["In-Reply-To"] is None and msg["References"] is None
    assert msg["X-Partnerbot-Needs-Human"] == "yes"
