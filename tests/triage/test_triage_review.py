"""Commission disputes and the other reasons a person reviews a message (bot/triage/review.py)."""
from __future__ import annotations

import pytest

from bot.triage.review import is_commission_dispute, review_reasons
from bot.triage.understanding import Understanding


@pytest.mark.parametrize("text", [
    "Não recebi a comissão do segundo trimestre.",
    "Quero contestar o valor da comissão.",
    "O pagamento veio errado, a comissão está incorreta",
    "We would like to dispute the commission payout for Q3.",
    "Our commission was not paid this quarter.",
    "The commission statement shows the wrong amount.",
    "NAO RECEBI A COMISSAO",
])
def test_disputes(text):
    assert is_commission_dispute(text)


@pytest.mark.parametrize("text", [
    "Como recebo minhas comissões?",                      # a question, no dispute
    "How is commission calculated for providers?",
    "Não recebi o convite para o evento.",                # a complaint, not about commission
    "I disagree with the tier naming, but that's fine.",  # dispute word, no commission word
    "",
])
def test_not_disputes(text):
    assert not is_commission_dispute(text)


def test_reasons():
    sure = Understanding("faq", 0.95, "commission_how_paid")
    assert review_reasons(sure, True, False) == []
    assert review_reasons(sure, True, True) == ["commission_dispute"]
    assert review_reasons(Understanding("faq", 0.3, "commission_how_paid"), True, False) == ["low_confidence"]
    assert review_reasons(Understanding("check_lead", 0.4, fallback=True), True, False) == ["unclear"]
    assert review_reasons(Understanding("human_handoff", 0.99), True, False) == ["intent_human_handoff"]
    assert review_reasons(Understanding("out_of_scope", 0.99), True, False) == ["intent_out_of_scope"]
    assert review_reasons(sure, False, False) == ["no_text"]
