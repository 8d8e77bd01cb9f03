"""The held-out split (tests/nlu) is never trained on, and it evaluates only intents the model learns.

`make eval` reports macro-F1 on tests/nlu; the figure means something only while no held-out
message is also a training example of data/nlu. Messages are compared after the case, accents,
punctuation and spacing people vary are folded away ("Não é?" and "nao e" are the same message).
"""
from __future__ import annotations

import re
from collections import defaultdict

import pytest

from eval.nlu_eval import LANGUAGES, ROOT, held_out_examples
from rules.folding import fold


def folded(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))


def training_examples(language: str):
    return held_out_examples(language, directory=ROOT / "data" / "nlu")


def test_folding_treats_accents_case_and_punctuation_as_the_same_message():
    assert folded("Não é, Parceiro?") == folded("nao e parceiro")
    assert folded("check acme.com") != folded("check acme.co")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_held_out_message_is_a_training_example(language):
    held_out = held_out_examples(language)
    training = {folded(example.text): example for example in training_examples(language)}
    assert held_out and training
    leaked = [(e.text, training[folded(e.text)].file) for e in held_out if folded(e.text) in training]
    assert leaked == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_held_out_intent_is_trained_with_at_least_15_examples(language):
    counts: dict = defaultdict(int)
    for example in training_examples(language):
        counts[example.intent] += 1
    held_out_intents = {example.intent for example in held_out_examples(language)}
    assert {intent: counts[intent] for intent in held_out_intents if counts[intent] < 15} == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_training_message_is_taught_as_two_intents(language):
    intents: dict = defaultdict(set)
    for example in training_examples(language):
        intents[folded(example.text)].add(example.intent)
    assert {text: sorted(labels) for text, labels in intents.items() if len(labels) > 1} == {}
