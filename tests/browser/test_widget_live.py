"""The widget in headless Chromium against the real assistant: action server, Rasa server with the
trained model (bot.build.train), page server, and a temporary database with the demo data.

A person asks in Portuguese and in English and gets the FAQ answers in those languages;
a guest asking about a lead is asked to sign in; a demo partner signs in, checks a lead and
sees its verdict; a reload shows the whole conversation and keeps the sign-in.
"""
from __future__ import annotations

# brightwave.io is an existing HubSpot customer in data/demo/accounts.csv: unavailable, whatever the date.
CUSTOMER_DOMAIN = "brightwave.io"


def test_faq_answers_in_portuguese_and_in_english(live_widget):
    w = live_widget.open()
    answer_pt = " ".join(w.ask("Quais são os benefícios de ser um parceiro de soluções da HubSpot?"))
    assert "dois gerentes de conta dedicados" in answer_pt
    w.screenshot("live-01-faq-pt")
    answer_en = " ".join(w.ask("What are the benefits of being a HubSpot Solutions Partner?"))
    assert "two dedicated account managers" in answer_en
    w.screenshot("live-02-faq-en")
    assert w.element("#notice").text == ""


def test_partner_signs_in_checks_a_lead_and_the_reload_keeps_it(live_widget):
    w = live_widget.open()
    guest_answer = " ".join(w.ask(f"can you check the lead {CUSTOMER_DOMAIN} for me?")).lower()
    assert "sign in" in guest_answer, "a guest is asked to sign in before a lead check"
    assert "unavailable" not in guest_answer

    w.sign_in("P-1001")
    w.wait(lambda d: w.element("#identity").text.startswith("Signed in as P-1001"), message="sign-in failed")
    verdict = " ".join(w.ask(f"is {CUSTOMER_DOMAIN} free to register?"))
    assert f"{CUSTOMER_DOMAIN} is unavailable" in verdict
    assert "existing HubSpot customer" in verdict
    reasons = w.elements("#messages .message--bot .bubble ul > li")
    assert any("existing HubSpot customer" in li.text for li in reasons), "the reasons are rendered as a list"
    w.screenshot("live-03-lead-verdict")

    portuguese = " ".join(w.ask("o grupo-aurora.com.br está disponível?"))
    assert "grupo-aurora.com.br está indisponível" in portuguese

    users, bots = w.bubbles("user"), w.bubbles("bot")
    w.reload()
    assert w.bubbles("user") == users
    assert w.bubbles("bot") == bots
    assert w.element("#identity").text.startswith("Signed in as P-1001")
    assert w.elements("#messages .message--bot ul > li"), "markdown rendered again from the history"
    w.screenshot("live-04-after-reload")
