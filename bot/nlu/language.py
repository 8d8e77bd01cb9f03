"""Detecting whether a message is Portuguese or English (lingua, restricted to the two languages).

Domains, emails, numbers and ids say nothing about the language and are removed first;
very short or ambiguous lines answer `None` (unsure) so the conversation keeps its
language. Marker words that lingua gets wrong on their own ("sim", "oi") are data in
data/patterns/language_hints.yml.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGES = ("pt", "en")
HINTS_FILE = Path(__file__).resolve().parents[2] / "data" / "patterns" / "language_hints.yml"
_NOISE = re.compile(
    r"\S+@\S+|https?://\S+|\b(?:[\w-]+\.)+[a-z]{2,}\b\S*|[\d.,/$%:+-]+|\bP-\d+\b|[^\w\s']",
    re.IGNORECASE,
)
MIN_CONFIDENCE = 0.7


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.PORTUGUESE, Language.ENGLISH).build()


@lru_cache(maxsize=1)
def _hints() -> dict:
    with HINTS_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {lang: {w.lower() for w in words} for lang, words in data["markers"].items()}


def strip_noise(text: str) -> str:
    return " ".join(_NOISE.sub(" ", text).split())


def detect_language(text: str, min_confidence: float = MIN_CONFIDENCE) -> str | None:
    """'pt', 'en', or None when the text does not tell (an id, a domain, 'ok')."""
    if not text:
        return None
    words = strip_noise(text[:2000]).lower()
    if not words:
        return None
    tokens = words.split()
    hints = _hints()
    votes = {lang: sum(1 for t in tokens if t in hints[lang]) for lang in LANGUAGES}
    if len(tokens) <= 3 and votes["pt"] != votes["en"]:
        return "pt" if votes["pt"] > votes["en"] else "en"
    values = _detector().compute_language_confidence_values(words)
    if not values:
        return None
    best = values[0]
    lang = "pt" if best.language.name == "PORTUGUESE" else "en"
    if best.value >= min_confidence:
        return lang
    if votes["pt"] != votes["en"]:
        return "pt" if votes["pt"] > votes["en"] else "en"
    return None
