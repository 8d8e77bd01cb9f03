"""The domains an email talks about (bot/triage/mentions.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from bot.nlu.patterns import vocabulary
from bot.triage.mentions import domains_in, is_ignored, message_domains


def test_domains_urls_and_emails_normalised_in_order():
    text = ("Is ACME.COM.BR free? See https://www.Foo-Bar.com:443/pricing, or write to joao@Cafe-Do-Porto.com.br; "
            "also café.com and acme.com.br again.")
    assert domains_in(text) == ["acme.com.br", "foo-bar.com", "cafe-do-porto.com.br", "xn--caf-dma.com"]


@pytest.mark.parametrize("text", [
    "proposta.pdf", "image001.png", "node.js", "script.py", "Relatorio.xlsx", "hoje.Se", "disponível.Obrigado",
    "1.200,50", "v2.0.1", "e.g.", "i.e.", "Sales Hub.Pro", "U.S.", "fim.Então",
])
def test_things_that_are_not_domains(text):
    assert domains_in(text) == []


def test_hubspot_free_mail_and_signature_links_are_never_leads():
    text = ("VARcommissions@hubspot.com app.hubspot.com/login knowledge.hubspot.com gmail.com "
            "ana@yahoo.com.br linkedin.com/in/ana www.linkedin.com calendly.com/ana")
    assert domains_in(text) == []


def test_ignored_list_is_the_nlu_one():
    for domain in vocabulary()["ignored_domains"]:
        assert is_ignored(domain)
        assert is_ignored("mail." + domain)
    assert not is_ignored("nothubspot.com")


def test_message_domains_adds_sender_and_honours_exclude_and_limit():
    texts = ["Lead acme.com", "see beta.io and acme.com", "From: Ana <ana@gamma.com.br>"]
    assert message_domains(texts, "sender.co") == ["acme.com", "beta.io", "gamma.com.br", "sender.co"]
    assert message_domains(texts, "gmail.com") == ["acme.com", "beta.io", "gamma.com.br"]
    assert message_domains(texts, "agency.com", exclude=["agency.com", "beta.io"]) == ["acme.com", "gamma.com.br"]
    assert message_domains(texts, None, limit=2) == ["acme.com", "beta.io"]
    many = " ".join(f"lead{i}.com" for i in range(50))
    assert len(message_domains([many], None)) == 10


@given(st.text(max_size=300))
def test_never_raises(text):
    for domain in domains_in(text):
        assert domain == domain.lower() and "." in domain
