"""How well the trained model understands held-out messages: the pure metrics and the evaluation run.

The metrics (precision, recall, F1 per intent, macro-F1, the most confused pairs,
percentiles) take lists of (expected, predicted) labels and nothing else, so they are
tested by hand. `evaluate` parses every example of the held-out split tests/nlu/{pt,en}/
(never trained on) with the model loaded in-process and reports them per language.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

ROOT = Path(__file__).resolve().parents[1]
HELD_OUT = ROOT / "tests" / "nlu"
LANGUAGES = ("pt", "en")
MACRO_F1_BAR = 0.95
RETRIEVAL_INTENT = "faq"
FALLBACK_INTENT = "nlu_fallback"
WARM_UP_MESSAGES = 5  # parsed before timing: the first calls build TensorFlow's graphs


# ---------------------------------------------------------------------------- pure metrics


@dataclass(frozen=True)
class Scores:
    """One label's figures. `support`: how many examples expected it; `predicted`: how many predictions named it."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0  # an empty denominator scores 0 (as scikit-learn's zero_division=0)


def accuracy(pairs: Sequence[tuple[str, str]]) -> float:
    """Share of (expected, predicted) pairs that agree; 0.0 for no pairs."""
    return _ratio(sum(1 for expected, predicted in pairs if expected == predicted), len(pairs))


def label_scores(pairs: Sequence[tuple[str, str]]) -> dict[str, Scores]:
    """Precision, recall and F1 of every label that was expected or predicted, by label.

    A label never predicted has precision 0; a label never expected (support 0, e.g.
    nlu_fallback) has recall 0 and is listed so its wrong predictions show.
    """
    expected_count = Counter(expected for expected, _ in pairs)
    predicted_count = Counter(predicted for _, predicted in pairs)
    correct = Counter(expected for expected, predicted in pairs if expected == predicted)
    scores = {}
    for label in sorted(set(expected_count) | set(predicted_count)):
        precision = _ratio(correct[label], predicted_count[label])
        recall = _ratio(correct[label], expected_count[label])
        f1 = _ratio(2 * precision * recall, precision + recall) if precision + recall else 0.0
        scores[label] = Scores(label, precision, recall, f1, expected_count[label], predicted_count[label])
    return scores


def macro_f1(scores: dict[str, Scores]) -> float:
    """Unweighted mean F1 over the labels that were expected (support > 0), as Rasa's and scikit-learn's reports."""
    expected = [s.f1 for s in scores.values() if s.support]
    return sum(expected) / len(expected) if expected else 0.0


@dataclass(frozen=True)
class Confusion:
    """An (expected -> predicted) mistake, how often it happened and the first example of it."""

    expected: str
    predicted: str
    count: int
    example: str | None = None


def confused_pairs(pairs: Sequence[tuple[str, str]], texts: Sequence[str] | None = None,
                   top: int = 10) -> list[Confusion]:
    """The `top` most frequent (expected -> predicted) mistakes, most frequent first (ties by name).

    `texts`, when given, is parallel to `pairs`; each pair keeps its first text as the example.
    """
    if texts is not None and len(texts) != len(pairs):
        raise ValueError("texts must be parallel to pairs")
    counts: Counter = Counter()
    first: dict = {}
    for index, (expected, predicted) in enumerate(pairs):
        if expected != predicted:
            counts[(expected, predicted)] += 1
            if texts is not None:
                first.setdefault((expected, predicted), texts[index])
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [Confusion(expected, predicted, count, first.get((expected, predicted)))
            for (expected, predicted), count in ranked[:top]]


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0 < q <= 100) by the nearest-rank method: a value that was measured."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def full_intent(parse_data: dict) -> str:
    """The intent a parse predicts, with the retrieval intent's answer key (`faq/app_list`) for `faq`.

    `nlu_fallback` (FallbackClassifier) is a prediction of its own. A `faq` parse without a
    response-selector answer stays `faq` (never a correct label of the held-out split).
    """
    intent = (parse_data.get("intent") or {}).get("name") or FALLBACK_INTENT
    if intent != RETRIEVAL_INTENT:
        return intent
    selector = (parse_data.get("response_selector") or {}).get(intent) or {}
    key = (selector.get("response") or {}).get("intent_response_key")
    return key or (parse_data.get("intent") or {}).get("full_retrieval_intent_name") or intent


def detected_language(parse_data: dict) -> str | None:
    """The `language` entity the LanguageDetector/PatternEntityExtractor put in the parse (None when unsure)."""
    for entity in parse_data.get("entities") or ():
        if entity.get("entity") == "language":
            return entity.get("value")
    return None


# ---------------------------------------------------------------------------- the held-out split


@dataclass(frozen=True)
class Example:
    text: str
    intent: str  # the full intent: `faq/app_list`, `check_lead`
    language: str
    file: str


def held_out_examples(language: str, directory: Path = HELD_OUT) -> list[Example]:
    """Every example of tests/nlu/<language>/*.yml (Rasa 3.1 YAML NLU), in file order."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in sorted((directory / language).glob("*.yml")):
        for message in load_data(str(path)).intent_examples:
            examples.append(Example(message.get("text"), message.get_full_intent(), language,
                                    str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)))
    return examples


# ---------------------------------------------------------------------------- the evaluation


@dataclass(frozen=True)
class Prediction:
    example: Example
    predicted: str
    confidence: float
    language: str | None
    parse_ms: float


def _quiet_rasa() -> None:
    import logging
    import os

    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for name in ("rasa", "tensorflow", "absl", "sanic", "asyncio"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.ERROR)  # Rasa's structured log prints every parse at debug level otherwise


def load_agent(model: Path):
    """The trained model, loaded in this process (no server)."""
    if not Path(model).is_file():  # Rasa would quietly load the newest model of models/ instead
        raise FileNotFoundError(f"no model file {model}")
    _quiet_rasa()
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    if not agent.is_ready():
        raise RuntimeError(f"{model} did not load")
    return agent


async def _parse_all(agent, examples: Sequence[Example]) -> list[Prediction]:
    for example in examples[:WARM_UP_MESSAGES]:
        await agent.parse_message(example.text)
    predictions = []
    for example in examples:
        start = time.perf_counter()
        parse_data = await agent.parse_message(example.text)
        elapsed = (time.perf_counter() - start) * 1000
        confidence = float((parse_data.get("intent") or {}).get("confidence") or 0.0)
        predictions.append(Prediction(example, full_intent(parse_data), confidence,
                                      detected_language(parse_data), elapsed))
    return predictions


def parse_examples(agent, examples: Sequence[Example]) -> list[Prediction]:
    import warnings

    with warnings.catch_warnings():
        # an intent the dialogue domain does not declare is the validator's business, not this report's
        warnings.filterwarnings("ignore", message="Parsed an intent", category=UserWarning)
        return asyncio.run(_parse_all(agent, examples))


def language_report(predictions: Sequence[Prediction], top: int = 10) -> dict:
    """Every figure of one language's held-out examples, as JSON-ready data."""
    pairs = [(p.example.intent, p.predicted) for p in predictions]
    scores = label_scores(pairs)
    times = [p.parse_ms for p in predictions]
    language = predictions[0].example.language if predictions else None
    return {
        "examples": len(predictions),
        "accuracy": accuracy(pairs),
        "macro_f1": macro_f1(scores),
        "meets_bar": macro_f1(scores) >= MACRO_F1_BAR,
        "intents": {label: {k: v for k, v in asdict(s).items() if k != "label"} for label, s in scores.items()},
        "confused_pairs": [asdict(c) for c in confused_pairs(pairs, [p.example.text for p in predictions], top)],
        "language_detection": {  # `none`: the detector was unsure (a bare domain, an id), the conversation keeps its language
            "accuracy": accuracy([(p.example.language, p.language or "none") for p in predictions]),
            "other_language": sum(1 for p in predictions if p.language and p.language != language),
            "detected": dict(Counter(p.language or "none" for p in predictions)),
            "wrong": [{"text": p.example.text, "detected": p.language} for p in predictions
                      if p.language != language],
        },
        "parse_ms": {"p50": percentile(times, 50), "p95": percentile(times, 95), "max": max(times)} if times else {},
        "misclassified": [
            {"text": p.example.text, "expected": p.example.intent, "predicted": p.predicted,
             "confidence": round(p.confidence, 4), "file": p.example.file}
            for p in predictions if p.predicted != p.example.intent
        ],
    }


def evaluate(agent, model: Path, languages: Sequence[str] = LANGUAGES, top: int = 10) -> dict:
    """Parse the held-out split of each language with the loaded `agent` (of `model`); the full report."""
    report = {
        "model": str(model),
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "held_out": str(HELD_OUT.relative_to(ROOT)),
        "macro_f1_bar": MACRO_F1_BAR,
        "languages": {},
    }
    for language in languages:
        examples = held_out_examples(language)
        if examples:
            report["languages"][language] = language_report(parse_examples(agent, examples), top)
    return report


def write_report(report: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- printing


def _pct(value: float) -> str:
    return f"{value * 100:5.1f}%"


def format_language(language: str, figures: dict) -> list[str]:
    """One language's section of the printed report."""
    bar = "meets" if figures["meets_bar"] else "BELOW"
    lines = [
        f"== {language}: {figures['examples']} held-out examples",
        f"accuracy {_pct(figures['accuracy'])}   macro-F1 {figures['macro_f1']:.3f} ({bar} the bar {MACRO_F1_BAR})",
        f"language detected correctly {_pct(figures['language_detection']['accuracy'])}   "
        f"(detected: {', '.join(f'{k} {v}' for k, v in sorted(figures['language_detection']['detected'].items()))}; "
        f"none = unsure, the conversation keeps its language)",
    ]
    if figures["parse_ms"]:
        ms = figures["parse_ms"]
        lines.append(f"parse time per message: p50 {ms['p50']:.1f} ms, p95 {ms['p95']:.1f} ms, max {ms['max']:.1f} ms")
    width = max([len(label) for label in figures["intents"]] + [6])
    lines += ["", f"{'intent':<{width}}  precision  recall     F1  support  predicted   (worst F1 first)"]
    ranked = sorted(figures["intents"].items(), key=lambda item: (item[1]["f1"], item[0]))
    for label, s in ranked:
        lines.append(f"{label:<{width}}  {s['precision']:9.3f}  {s['recall']:6.3f}  {s['f1']:5.3f}"
                     f"  {s['support']:7d}  {s['predicted']:9d}")
    lines += ["", "most confused (expected -> predicted, count, example):"]
    if not figures["confused_pairs"]:
        lines.append("  none")
    for c in figures["confused_pairs"]:
        lines.append(f"  {c['expected']} -> {c['predicted']}  x{c['count']}  \"{c['example']}\"")
    return lines


def format_report(report: dict) -> str:
    lines = [f"NLU evaluation of {report['model']} on {report['held_out']}/ (never trained on)"]
    for language, figures in report["languages"].items():
        lines += [""] + format_language(language, figures)
    lines += ["", "summary: " + "; ".join(
        f"{language} macro-F1 {figures['macro_f1']:.3f} accuracy {_pct(figures['accuracy']).strip()}"
        for language, figures in report["languages"].items())]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- cross-validation


def cross_validate(folds: int, out: Path) -> dict:
    """`rasa test nlu --cross-validation --folds K` on data/nlu; returns Rasa's intent and response-selection reports.

    Trains the NLU pipeline K times (minutes each on two cores): run it when the
    training data changed a lot, not on every edit. Rasa's output goes to `out`/rasa_test.log.
    """
    import os
    import subprocess
    import sys

    from bot.build import VAR, build_domain
    from bot.nlu.spacy_pipelines import build as build_spacy

    build_spacy(VAR / "spacy")  # config.yml's components read the saved spaCy pipelines
    domain = build_domain()
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    command = [str(Path(sys.executable).parent / "rasa"), "test", "nlu", "--nlu", str(ROOT / "data" / "nlu"),
               "--config", str(ROOT / "config.yml"), "--domain", str(domain), "--cross-validation",
               "--folds", str(folds), "--out", str(out), "--no-plot"]
    log = out / "rasa_test.log"
    with log.open("wb") as handle:
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise RuntimeError(f"rasa test nlu --cross-validation failed (exit {result.returncode}; log {log})")
    reports = {}
    for name in ("intent_report", "response_selection_report"):
        path = out / f"{name}.json"
        if path.exists():
            reports[name] = json.loads(path.read_text(encoding="utf-8"))
    return reports


def format_rasa_report(title: str, report: dict, worst: int = 10) -> list[str]:
    """The summary of one of Rasa's sklearn-style reports: accuracy, macro/weighted F1, the worst labels."""
    lines = [f"== {title}"]
    if "accuracy" in report:
        lines.append(f"accuracy {_pct(report['accuracy'])}")
    for average in ("macro avg", "weighted avg"):
        if average in report:
            a = report[average]
            lines.append(f"{average}: precision {a['precision']:.3f} recall {a['recall']:.3f} F1 {a['f1-score']:.3f}")
    labels = {k: v for k, v in report.items()
              if isinstance(v, dict) and "f1-score" in v and k not in ("macro avg", "weighted avg", "micro avg")}
    ranked = sorted(labels.items(), key=lambda item: (item[1]["f1-score"], item[0]))[:worst]
    if ranked:
        lines.append(f"worst {len(ranked)}:")
        for label, s in ranked:
            confused = ", ".join(f"{k} x{v}" for k, v in sorted((s.get("confused_with") or {}).items(),
                                                                  key=lambda item: -item[1]))
            lines.append(f"  {label:<40} F1 {s['f1-score']:.3f} (support {s['support']})"
                         + (f"  confused with {confused}" if confused else ""))
    return lines
