"""Quoted replies, forwards, signatures and greetings (bot/triage/cleaning.py)."""
from __future__ import annotations

import pytest

from bot.triage.cleaning import clean_message, clean_subject, fold, is_sign_off, paragraphs, subject_parts
from bot.triage.reading import read_message
from triage_support import CORPUS


def cleaned(name: str):
    email = read_message((CORPUS / name).read_bytes(), name)
    return clean_message(email.body, email.subject, email.from_name)


def test_gmail_reply_quote_and_signature_are_removed():
    clean = cleaned("01_pt_lead_check_registered.eml")
    assert clean.text == ("Vocês conseguem verificar se o lead cafe-do-porto.com.br ainda está disponível\n"
                          "para nós? Fizemos o registro no começo do ano e queremos confirmar se ainda vale.")
    assert {"greeting", "signature"} <= clean.removed


def test_quoted_reply_below_wrote_line_is_dropped():
    clean = cleaned("20_en_reply_with_quote.eml")
    assert "quoted-customer.example.de" not in clean.all_text
    assert clean.text.startswith("Thanks for the quick answer. One more thing: how do I log in")
    assert not clean.text.endswith("Hannah")  # the sender's name on its own line is signature
    assert "reply" in clean.removed


def test_wrapped_wrote_line_counts():
    body = "Yes please.\n\nOn Mon, 3 Jun 2024 at 10:00, Ana Souza <ana@x.com>\nwrote:\n\nOld text without quote marks\n"
    assert clean_message(body, "Re: x").text == "Yes please."


def test_outlook_reply_block_ends_the_message():
    clean = cleaned("22_en_outlook_reply.eml")
    assert "statements.example.com" not in clean.all_text
    assert clean.text.startswith("What's the difference between a Solutions Partner and a Solutions Provider?")
    assert clean.forwarded == []


def test_gmail_forward_keeps_the_forwarded_message_apart():
    clean = cleaned("19_pt_forward_gmail.eml")
    assert "vinicola-serra.com.br está disponível para registrarmos?" in clean.text
    assert "Gostamos muito" not in clean.text
    assert len(clean.forwarded) == 1
    forwarded = clean.forwarded[0]
    assert forwarded.headers[0] == "De: Helena Bianchi <helena@vinicola-serra.com.br>"
    assert forwarded.text == "Gostamos muito da proposta. Podemos começar em dezembro?"  # greeting and signature gone


def test_nested_outlook_forwards_are_flattened_in_order():
    clean = cleaned("21_pt_nested_forward_outlook.eml")
    assert clean.text == "Segue abaixo."
    assert [s.headers[0] for s in clean.forwarded] == ["De: Rafael Nunes <rafael@pulsodigital.com.br>",
                                                       "De: Ana Lúcia <direcao@escola-saber.com.br>"]
    assert clean.forwarded[0].text.startswith("Marina, o cliente escola-saber.com.br quer fechar com a gente.")
    assert clean.forwarded[1].text == "Rafael, bom dia. Queremos seguir com a implantação do CRM em janeiro."


def test_html_reply_quote_is_dropped():
    clean = cleaned("12_en_html_only_unavailable.eml")
    assert clean.text == "Why is my lead fintech-pagar.com.br marked as unavailable? What does unavailable mean here?"
    assert "tiers" not in clean.all_text


def test_signature_delimiter_and_mobile_footer():
    assert "CONFIDENTIALITY" not in cleaned("31_en_signature_heavy.eml").all_text
    assert cleaned("27_en_provider_how_to_become_gmail.eml").text.endswith("already recommend HubSpot to my clients.")


def test_sign_off_needs_text_before_it():
    assert clean_message("Obrigado!").text == "Obrigado!"
    assert clean_message("Thanks,\nJohn").text == "Thanks,\nJohn"
    assert clean_message("Is acme.com free?\n\nThanks,\nJohn").text == "Is acme.com free?"


@pytest.mark.parametrize("line", ["Abs,", "Abs, Marina", "Atenciosamente", "Best regards,", "Thanks!", "Obrigada,",
                                  "Muito obrigado", "Um abraço", "Att.", "Cheers", "Kind regards, Hannah Becker",
                                  "Aguardo retorno,"])
def test_sign_offs(line):
    assert is_sign_off(line)


@pytest.mark.parametrize("line", ["Thanks for the webinar yesterday, it was great.", "Obrigado pela ajuda com o lead acme.com",
                                  "Abstract art is nice", "Best partner wins: how does it work?",
                                  "Thanks, is acme.com available?"])
def test_not_sign_offs(line):
    assert not is_sign_off(line)


def test_greetings_only_at_the_start():
    clean = clean_message("Oi pessoal, tudo bem?\nBom dia!\nComo funciona o registro?\nOi de novo ao final")
    assert clean.text == "Como funciona o registro?\nOi de novo ao final"
    assert clean_message("Hello, how are you? Is acme.com available for us to register this week please?").text.startswith("Hello")


def test_subjects():
    assert subject_parts("RES: ENC: Re: Proposta") == ("Proposta", False)
    assert subject_parts("Fwd: RE: Proposta") == ("Proposta", True)
    assert subject_parts("ENC: ENC: Escola") == ("Escola", True)
    assert clean_subject("Re[2]: AW: Lead") == "Lead"
    assert clean_subject("Recebimento de comissão") == "Recebimento de comissão"  # "Re" only as a prefix with a colon


def test_fold_and_paragraphs():
    assert fold("Não RECEBI a Comissão") == "nao recebi a comissao"
    assert paragraphs("one\ntwo\n\n\nthree  four\n \nfive") == ["one two", "three four", "five"]


def test_empty_and_quote_only_messages():
    assert clean_message("").text == ""
    assert clean_message("> only\n> quoted\n").text == ""
