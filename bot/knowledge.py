"""The FAQ knowledge base: data/faq/<id>.yml, read by the bot, the email triage and the tests."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FAQ_DIR = PROJECT_ROOT / "data" / "faq"


@dataclass(frozen=True)
class FaqEntry:
    id: str
    order: int
    section: str
    topic: str
    question: dict
    answer: dict

    def answer_in(self, lang: str) -> str:
        return self.answer.get(lang) or self.answer["en"]

    def question_in(self, lang: str) -> str:
        return self.question.get(lang) or self.question["en"]


@lru_cache(maxsize=1)
def faq_entries() -> dict:
    """All entries by id, in FAQ order."""
    entries = []
    for path in sorted(FAQ_DIR.glob("*.yml")):
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        entries.append(
            FaqEntry(
                id=data["id"],
                order=int(data["order"]),
                section=data["section"],
                topic=data["topic"],
                question={k: v.strip() for k, v in data["question"].items()},
                answer={k: v.strip() for k, v in data["answer"].items()},
            )
        )
    return {e.id: e for e in sorted(entries, key=lambda e: e.order)}


def faq_entry(faq_id: str) -> FaqEntry | None:
    return faq_entries().get(faq_id)
