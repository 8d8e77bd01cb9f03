"""What an email asks, by the same trained NLU model as the chat, loaded in this process (no server).

The model was trained on chat turns, so an email is given to it in pieces it knows: first
the subject and the start of the cleaned text (settings `classify.head_chars`); when that is
unclear (low confidence, the fallback, or small talk such as a greeting), the subject alone,
each question and each paragraph on its own, and the most confident answer about something
wins (run.Triage.candidates picks them). For the retrieval intent
`faq`, the answer is the ResponseSelector's `faq/<id>` and the confidence the lower of the
two. The topic is the FAQ entry's `topic` (data/faq/<id>.yml) or the flow of the intent
(data/triage/topics.yml).
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from bot.knowledge import faq_entry
from bot.triage.texts import data, settings

RETRIEVAL_INTENT = "faq"
FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Understanding:
    intent: str                 # "faq", "check_lead", …; never nlu_fallback (see `fallback`)
    confidence: float
    faq_id: Optional[str] = None
    fallback: bool = False      # the FallbackClassifier found no intent confident enough
    language: Optional[str] = None  # what the model's language detector said

    @property
    def label(self) -> str:
        """`faq/<id>` or the intent."""
        return f"{RETRIEVAL_INTENT}/{self.faq_id}" if self.faq_id else self.intent

    @property
    def topic(self) -> str:
        return topic_of(self.intent, self.faq_id)


NOTHING = Understanding(intent=FALLBACK_INTENT, confidence=0.0, fallback=True)


def topic_of(intent: str, faq_id: Optional[str] = None) -> str:
    if faq_id:
        entry = faq_entry(faq_id)
        if entry is not None:
            return entry.topic
    return data("topics")["intents"].get(intent, "other")


def understanding_from_parse(parse_data: dict) -> Understanding:
    """Read one Rasa parse: the intent (the best real one under a fallback), the FAQ answer, the confidence."""
    intent = parse_data.get("intent") or {}
    ranking = list(parse_data.get("intent_ranking") or ())
    routed_from = parse_data.get("routed_from")
    if routed_from:
        # LeadIntentRouter turned a question naming a domain into a lead check for the chat; an
        # email keeps what it asks (the FAQ answer) and its draft reports the checks anyway.
        ranking = ranking[1:]
        intent = next((r for r in ranking if r.get("name") == routed_from), {"name": routed_from, "confidence": 0.0})
    name = intent.get("name") or FALLBACK_INTENT
    confidence = float(intent.get("confidence") or 0.0)
    fallback = name == FALLBACK_INTENT
    if fallback:
        ranking = [r for r in ranking if r.get("name") != FALLBACK_INTENT]
        if ranking:
            name, confidence = ranking[0]["name"], float(ranking[0].get("confidence") or 0.0)
        else:
            confidence = 0.0
    faq_id = None
    if name == RETRIEVAL_INTENT:
        selector = (parse_data.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
        response = selector.get("response") or {}
        key = response.get("intent_response_key") or ""
        if key.startswith(RETRIEVAL_INTENT + "/"):
            faq_id = key.split("/", 1)[1]
            confidence = min(confidence, float(response.get("confidence") or 0.0))
    language = next((e.get("value") for e in parse_data.get("entities") or () if e.get("entity") == "language"), None)
    return Understanding(intent=name, confidence=round(confidence, 4), faq_id=faq_id, fallback=fallback, language=language)


def _quiet_rasa() -> None:
    """Only Rasa's errors, on stderr: its per-message debug lines would bury the progress and the summary."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for name in ("rasa", "tensorflow", "absl", "sanic", "asyncio", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR),
                        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))


_LOADED: dict = {}


class Classifier:
    """The trained model in this process; `parse(text)` is Rasa's parse of one text."""

    def __init__(self, agent):
        self._agent = agent
        self._loop = asyncio.new_event_loop()
        config = settings()["classify"]
        self.head_chars = int(config["head_chars"])
        self.candidate_chars = int(config["candidate_chars"])
        self.max_candidates = int(config["max_candidates"])
        self.small_talk = set(config["small_talk_intents"])
        self.min_confidence = float(settings()["needs_human"]["min_confidence"])

    @classmethod
    def load(cls, model: Path) -> "Classifier":
        """The model at `model` (a .tar.gz), loaded once per process."""
        key = str(Path(model).resolve())
        if key not in _LOADED:
            _quiet_rasa()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Rasa's and TensorFlow's deprecation notes, not ours to act on
                from rasa.core.agent import Agent

                agent = Agent.load(key)
            if not agent.is_ready():
                raise RuntimeError(f"{model} did not load")
            _LOADED[key] = cls(agent)
        return _LOADED[key]

    def parse(self, text: str) -> dict:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._loop.run_until_complete(self._agent.parse_message(text))

    def understand(self, text: str) -> Understanding:
        if not text.strip():
            return NOTHING
        return understanding_from_parse(self.parse(text))

    def _clear(self, found: Understanding) -> bool:
        return not found.fallback and found.intent not in self.small_talk and found.confidence >= self.min_confidence

    def classify(self, head: str, candidates: list) -> Understanding:
        """The head first; when it is unclear, the most confident of the candidates that is about something."""
        head = head.strip()[: self.head_chars]
        best = self.understand(head) if head else NOTHING
        if self._clear(best):
            return best
        found = [best]
        for text in list(dict.fromkeys(c.strip() for c in candidates if c.strip()))[: self.max_candidates]:
            if text != head:
                found.append(self.understand(text[: self.candidate_chars]))
        return max(found, key=lambda u: (u.intent not in self.small_talk and u.intent != FALLBACK_INTENT,
                                         not u.fallback, u.confidence))
