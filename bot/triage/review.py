"""Whether a person must see a message before any reply goes out, and why.

A person reviews: a commission dispute (always), a message the model is not confident
about (below settings `needs_human.min_confidence`, or the fallback), a request for a person
or something out of scope (settings `needs_human.intents`), a message without text, and
any message the triage could not process. The dispute words are data/triage/disputes.yml.
"""
from __future__ import annotations

import re
from functools import lru_cache

from bot.triage.texts import data, settings
from rules.folding import fold


@lru_cache(maxsize=1)
def _dispute_patterns() -> tuple:
    vocab = data("disputes")

    def compile_words(groups: dict):
        words = sorted({fold(w) for ws in groups.values() for w in ws}, key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:%s)(?!\w)" % "|".join(re.escape(w) for w in words))

    return compile_words(vocab["dispute_phrases"]), compile_words(vocab["commission_words"])


def is_commission_dispute(text: str) -> bool:
    """A dispute phrase ("não recebi", "wrong amount", "contestar") and a commission word in `text`."""
    folded = fold(text or "")
    dispute, commission = _dispute_patterns()
    return bool(dispute.search(folded) and commission.search(folded))


def review_reasons(understanding, has_text: bool, dispute: bool) -> list:
    """Why a person must review (empty: the draft can go after a glance)."""
    config = settings()["needs_human"]
    reasons = []
    if dispute:
        reasons.append("commission_dispute")
    if not has_text:
        reasons.append("no_text")
        return reasons
    if understanding.fallback:
        reasons.append("unclear")
    elif understanding.confidence < float(config["min_confidence"]):
        reasons.append("low_confidence")
    if understanding.intent in config["intents"]:
        reasons.append(f"intent_{understanding.intent}")
    return reasons
