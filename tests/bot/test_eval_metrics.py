"""The NLU evaluation's metrics (eval/nlu_eval.py) on cases computed by hand."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # eval/ is a top-level folder of the project, not an installed package
    sys.path.insert(0, str(ROOT))

from eval.nlu_eval import (  # noqa: E402
    Confusion,
    Example,
    Prediction,
    accuracy,
    confused_pairs,
    detected_language,
    format_report,
    full_intent,
    label_scores,
    language_report,
    macro_f1,
    percentile,
)

# expected a a a b b c / predicted a a b b a b
PAIRS = [("a", "a"), ("a", "a"), ("a", "b"), ("b", "b"), ("b", "a"), ("c", "b")]


def test_accuracy():
    assert accuracy(PAIRS) == 0.5
    assert accuracy([]) == 0.0


def test_label_scores_by_hand():
    scores = label_scores(PAIRS)
    # a: 2 right of 3 predicted, of 3 expected
    assert scores["a"].precision == pytest.approx(2 / 3)
    assert scores["a"].recall == pytest.approx(2 / 3)
    assert scores["a"].f1 == pytest.approx(2 / 3)
    assert (scores["a"].support, scores["a"].predicted) == (3, 3)
    # b: 1 right of 3 predicted, of 2 expected: F1 = 2 * 1/3 * 1/2 / (1/3 + 1/2) = 2/5
    assert scores["b"].precision == pytest.approx(1 / 3)
    assert scores["b"].recall == pytest.approx(1 / 2)
    assert scores["b"].f1 == pytest.approx(2 / 5)
    # c: never predicted
    assert (scores["c"].precision, scores["c"].recall, scores["c"].f1) == (0.0, 0.0, 0.0)
    assert (scores["c"].support, scores["c"].predicted) == (1, 0)
    assert macro_f1(scores) == pytest.approx((2 / 3 + 2 / 5 + 0) / 3)  # 16/45


def test_a_label_only_predicted_is_listed_but_not_averaged():
    scores = label_scores([("greet", "greet"), ("greet", "nlu_fallback")])
    assert scores["greet"].f1 == pytest.approx(2 / 3)  # precision 1, recall 1/2
    fallback = scores["nlu_fallback"]
    assert (fallback.support, fallback.predicted, fallback.precision, fallback.f1) == (0, 1, 0.0, 0.0)
    assert macro_f1(scores) == pytest.approx(2 / 3)


def test_perfect_and_empty():
    scores = label_scores([("x", "x"), ("y", "y"), ("y", "y")])
    assert all(s.f1 == 1.0 for s in scores.values())
    assert macro_f1(scores) == 1.0
    assert label_scores([]) == {}
    assert macro_f1({}) == 0.0


def test_label_scores_agree_with_scikit_learn():
    from sklearn.metrics import precision_recall_fscore_support

    rng = random.Random(7)
    labels = ["greet", "faq/app_list", "faq/partner_cost", "check_lead", "nlu_fallback"]
    pairs = [(rng.choice(labels[:4]), rng.choice(labels)) for _ in range(300)]
    scores = label_scores(pairs)
    expected_labels = sorted({e for e, _ in pairs})
    precision, recall, f1, support = precision_recall_fscore_support(
        [e for e, _ in pairs], [p for _, p in pairs], labels=expected_labels, zero_division=0)
    for i, label in enumerate(expected_labels):
        assert scores[label].precision == pytest.approx(precision[i])
        assert scores[label].recall == pytest.approx(recall[i])
        assert scores[label].f1 == pytest.approx(f1[i])
        assert scores[label].support == support[i]
    assert macro_f1(scores) == pytest.approx(sum(f1) / len(f1))


def test_confused_pairs_most_frequent_first_ties_by_name():
    assert confused_pairs(PAIRS) == [Confusion("a", "b", 1), Confusion("b", "a", 1), Confusion("c", "b", 1)]
    pairs = [("x", "y")] * 3 + [("x", "z")] + [("y", "x")] * 3 + [("x", "x")] * 5
    texts = [f"t{i}" for i in range(len(pairs))]
    assert confused_pairs(pairs, texts, top=2) == [Confusion("x", "y", 3, "t0"), Confusion("y", "x", 3, "t4")]
    assert confused_pairs(pairs, texts)[2] == Confusion("x", "z", 1, "t3")
    assert confused_pairs([("a", "a")]) == []
    with pytest.raises(ValueError):
        confused_pairs(pairs, texts[:-1])


def test_percentile_nearest_rank():
    values = list(range(10, 0, -1))  # 10..1, unsorted on purpose
    assert percentile(values, 50) == 5
    assert percentile(values, 95) == 10  # rank ceil(9.5) = 10
    assert percentile(values, 90) == 9
    assert percentile(values, 10) == 1
    assert percentile(values, 100) == 10
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([42.0], 95) == 42.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1], 0)


def test_full_intent_takes_the_faq_answer_key():
    parse = {"intent": {"name": "faq", "confidence": 0.9},
             "response_selector": {"all_retrieval_intents": ["faq"],
                                   "faq": {"response": {"intent_response_key": "faq/app_list"}}}}
    assert full_intent(parse) == "faq/app_list"
    assert full_intent({"intent": {"name": "faq", "full_retrieval_intent_name": "faq/partner_cost"}}) == "faq/partner_cost"
    assert full_intent({"intent": {"name": "faq"}}) == "faq"
    assert full_intent({"intent": {"name": "check_lead"},
                        "response_selector": {"faq": {"response": {"intent_response_key": "faq/app_list"}}}}) == "check_lead"
    assert full_intent({"intent": {"name": "nlu_fallback", "confidence": 0.45}}) == "nlu_fallback"
    assert full_intent({"intent": None}) == "nlu_fallback"


def test_detected_language_reads_the_language_entity():
    assert detected_language({"entities": [{"entity": "domain", "value": "acme.com"},
                                           {"entity": "language", "value": "pt"}]}) == "pt"
    assert detected_language({"entities": []}) is None
    assert detected_language({}) is None


def test_language_report_of_four_parses():
    def prediction(text, expected, predicted, language, ms):
        return Prediction(Example(text, expected, "pt", "tests/nlu/pt/x.yml"), predicted, 0.9, language, ms)

    predictions = [
        prediction("oi", "greet", "greet", None, 10.0),
        prediction("tchau", "goodbye", "goodbye", "pt", 20.0),
        prediction("quanto custa?", "faq/partner_cost", "faq/partner_cost", "pt", 30.0),
        prediction("partner program?", "faq/program_what_is", "faq/partner_cost", "en", 40.0),
    ]
    figures = language_report(predictions)
    assert figures["examples"] == 4
    assert figures["accuracy"] == 0.75
    # greet 1, goodbye 1, faq/partner_cost: P 1/2 R 1 F1 2/3, faq/program_what_is 0
    assert figures["macro_f1"] == pytest.approx((1 + 1 + 2 / 3 + 0) / 4)
    assert figures["meets_bar"] is False
    assert figures["confused_pairs"] == [{"expected": "faq/program_what_is", "predicted": "faq/partner_cost",
                                          "count": 1, "example": "partner program?"}]
    assert figures["language_detection"]["accuracy"] == 0.5
    assert figures["language_detection"]["other_language"] == 1
    assert figures["language_detection"]["detected"] == {"none": 1, "pt": 2, "en": 1}
    assert figures["parse_ms"] == {"p50": 20.0, "p95": 40.0, "max": 40.0}
    assert [m["text"] for m in figures["misclassified"]] == ["partner program?"]
    text = format_report({"model": "m.tar.gz", "held_out": "tests/nlu", "languages": {"pt": figures}})
    assert "macro-F1 0.667 (BELOW the bar 0.95)" in text
    assert 'faq/program_what_is -> faq/partner_cost  x1  "partner program?"' in text


def test_cross_validation_summary_reads_rasas_report():
    from eval.nlu_eval import format_rasa_report

    report = {  # the shape of Rasa's intent_report.json (scikit-learn's report plus `confused_with`)
        "greet": {"precision": 1.0, "recall": 0.9, "f1-score": 0.947, "support": 10, "confused_with": {"thank": 1}},
        "faq": {"precision": 0.9, "recall": 1.0, "f1-score": 0.947, "support": 50, "confused_with": {}},
        "deny": {"precision": 0.5, "recall": 0.5, "f1-score": 0.5, "support": 8,
                 "confused_with": {"affirm": 3, "nlu_fallback": 1}},
        "accuracy": 0.93,
        "macro avg": {"precision": 0.8, "recall": 0.8, "f1-score": 0.798, "support": 68},
        "weighted avg": {"precision": 0.9, "recall": 0.93, "f1-score": 0.91, "support": 68},
    }
    lines = format_rasa_report("intents", report, worst=2)
    assert lines[:4] == ["== intents", "accuracy  93.0%",
                         "macro avg: precision 0.800 recall 0.800 F1 0.798",
                         "weighted avg: precision 0.900 recall 0.930 F1 0.910"]
    assert lines[4] == "worst 2:"
    assert lines[5].split() == ["deny", "F1", "0.500", "(support", "8)", "confused", "with", "affirm", "x3,",
                                "nlu_fallback", "x1"]
    assert lines[6].split()[0] == "faq"  # ties on F1 by name: faq before greet
    assert len(lines) == 7
