"""One message's bytes as sender, subject, thread and text (bot/triage/reading.py), on hand-made and corpus mail."""
from __future__ import annotations

import base64

import pytest

from bot.triage.reading import NotAnEmail, read_message
from triage_support import CORPUS


def corpus(name: str):
    return read_message((CORPUS / name).read_bytes(), name)


def test_plain_message_headers_and_thread():
    email = corpus("20_en_reply_with_quote.eml")
    assert email.message_id == "<reply-hannah-5566@berlininbound.de>"
    assert email.from_address == "hannah.becker@berlininbound.de"
    assert email.from_name == "Hannah Becker"
    assert email.subject == "Re: Portal access"
    assert email.date.isoformat() == "2026-11-24T11:30:00+01:00"
    assert email.references == ["<hannah-first-5501@berlininbound.de>", "<partnerteam-991@hubspot.com>"]
    assert email.sender_domain == "berlininbound.de"


def test_encoded_words_in_subject_and_name():
    email = corpus("03_pt_commission_how_paid.eml")
    assert email.subject == "Dúvida sobre pagamento de comissões"
    assert email.from_name == "João Pedro Alves"
    assert corpus("17_pt_quoted_printable.eml").subject == "Diretório de parceiros"
    assert corpus("30_pt_best_partner_wins.eml").subject == "Vitória do Melhor Parceiro"


def test_html_only_is_converted_and_multipart_alternative_prefers_plain():
    html = corpus("12_en_html_only_unavailable.eml")
    assert "Why is my lead fintech-pagar.com.br marked as unavailable?" in html.body
    assert "<b>" not in html.body and "margin" not in html.body
    alternative = corpus("13_pt_multipart_alternative.eml")
    assert alternative.body.count("Quanto custa para fazer parte do programa") == 1
    assert "<div" not in alternative.body


@pytest.mark.parametrize("name, phrase", [
    ("14_pt_latin1_no_charset.eml", "Como funciona o registro de leads? Somos fornecedores há pouco tempo e não"),
    ("15_pt_cp1252_declared_utf8.eml", "agência – na seção “Parceiros”?"),
    ("33_pt_utf8_declared_latin1.eml", "Não consigo acessar com o meu usuário"),
    ("36_en_partner_benefits_windows1252_declared_latin1.eml", "We’re weighing it – our"),
    ("16_en_base64.eml", "Are there any events for partners this year?"),
    ("17_pt_quoted_printable.eml", "O que é o diretório de parceiros da HubSpot?"),
])
def test_bodies_decode_whatever_the_charset_and_transfer_encoding(name, phrase):
    assert phrase in corpus(name).body


def test_wrong_charset_declarations_are_reported():
    assert "charset_mismatch" in corpus("14_pt_latin1_no_charset.eml").warnings
    assert "charset_mismatch" in corpus("15_pt_cp1252_declared_utf8.eml").warnings
    assert "charset_mismatch" in corpus("33_pt_utf8_declared_latin1.eml").warnings
    assert corpus("01_pt_lead_check_registered.eml").warnings == []


def test_attachments_are_ignored():
    email = corpus("18_en_attachment.eml")
    assert email.attachments == 2
    assert "PDF" not in email.body and "%%EOF" not in email.body
    assert "acme-attachment-only.com" not in email.body  # a text/plain attachment is still an attachment
    assert "referral and a resale" in email.body


def test_broken_boundaries_are_salvaged():
    email = corpus("24_en_broken_mime.eml")
    assert "broken_mime" in email.warnings
    assert "Can you check if the lead kaffeehaus-berlin.de is still registered to us" in email.body
    assert "Content-Type" not in email.body


def test_empty_body_and_no_subject():
    email = corpus("23_pt_no_body.eml")
    assert email.body == ""
    assert email.subject == ""
    assert email.from_address == "carlos.andrade@hotmail.com"


@pytest.mark.parametrize("raw, code", [(b"", "error_empty"), (b"   \n\n", "error_empty"),
                                       ((CORPUS / "32_not_an_email.eml").read_bytes(), "error_not_email"),
                                       (b'{"json": "not mail"}', "error_not_email")])
def test_not_an_email(raw, code):
    with pytest.raises(NotAnEmail) as info:
        read_message(raw, "x")
    assert info.value.code == code


def test_raw_8bit_headers_and_missing_pieces():
    raw = ("From: Patrícia <patricia@cafecriativo.com.br>\nSubject: Comissão não paga\n"
           "Date: not a date\n\nCorpo\n").encode("utf-8")
    email = read_message(raw, "x")
    assert email.subject == "Comissão não paga"
    assert email.from_name == "Patrícia"
    assert email.date is None and "bad_date" in email.warnings
    assert email.message_id is None
    assert email.references == []


def test_message_without_from_has_no_sender():
    email = read_message(b"Subject: hi\n\nbody\n", "x")
    assert email.from_address is None
    assert "no_sender" in email.warnings


def test_in_reply_to_when_no_references():
    email = read_message(b"From: a@b.com\nIn-Reply-To: <x@y>\nMessage-ID: <m@b.com>\n\nhi\n", "x")
    assert email.references == ["<x@y>"]


def test_forwarded_message_attached_as_rfc822_is_kept_as_a_forward():
    inner = b"From: Joana <joana@cafe-do-porto.com.br>\nSubject: Proposta\n\nQueremos contratar o CRM.\n"
    raw = (b"From: marina@pulsodigital.com.br\nSubject: Fwd: Proposta\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\nVejam abaixo.\n"
           b"--XX\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n" + inner + b"--XX--\n")
    email = read_message(raw, "x")
    assert "Vejam abaixo." in email.body
    assert "---------- Forwarded message ---------" in email.body
    assert "From: Joana <joana@cafe-do-porto.com.br>" in email.body
    assert "Queremos contratar o CRM." in email.body


def test_bad_base64_does_not_stop_the_message():
    raw = (b"From: a@b.com\nSubject: x\nContent-Type: text/plain; charset=utf-8\n"
           b"Content-Transfer-Encoding: base64\n\n" + base64.b64encode("olá mundo".encode())[:-3] + b"!!\n")
    email = read_message(raw, "x")
    assert isinstance(email.body, str)


def test_five_megabyte_body_is_cut(tmp_path):
    line = "Is acme-large.com available? " * 3 + "\n"
    body = line * (5 * 1024 * 1024 // len(line))
    raw = ("From: big@mapleandpine.ca\nSubject: big\nContent-Type: text/plain; charset=utf-8\n\n" + body).encode()
    assert len(raw) > 5_000_000
    email = read_message(raw, "x")
    from bot.triage.texts import settings

    assert len(email.body) <= settings()["max_body_chars"]
    assert "body_truncated" in email.warnings


def test_deeply_nested_multiparts_stop():
    raw = b"From: a@b.com\nSubject: x\nMIME-Version: 1.0\n"
    depth = 30
    head = b"".join(b"Content-Type: multipart/mixed; boundary=B%d\n\n--B%d\n" % (i, i) for i in range(depth))
    tail = b"".join(b"\n--B%d--\n" % i for i in reversed(range(depth)))
    email = read_message(raw + head + b"Content-Type: text/plain\n\ndeep\n" + tail, "x")
    assert "too_deeply_nested" in email.warnings


def test_a_long_body_is_cut_between_words():
    from bot.triage.texts import settings

    limit = settings()["max_body_chars"]
    word = "acme-grande.com.br "
    raw = ("From: a@b.com\nSubject: x\nContent-Type: text/plain; charset=utf-8\n\n" + word * (limit // len(word) + 50)).encode()
    email = read_message(raw, "x")
    assert email.body.split()[-1] == "acme-grande.com.br"
    assert len(email.body) <= limit
