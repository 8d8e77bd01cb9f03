"""The shape every rule answers in: a verdict, reasons, explanations in Portuguese and English, next steps and a trace."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rules.parameters import Parameter
from rules.texts import text

LANGUAGES = ("pt", "en")


@dataclass
class Reason:
    """Why a verdict came out as it did, in the program's words (`code`) and both languages."""

    code: str
    explanation: dict  # {"pt": ..., "en": ...}
    details: dict = field(default_factory=dict)

    @classmethod
    def from_texts(cls, group: str, code: str, **values: Any) -> "Reason":
        return cls(code=code, explanation={lang: text(group, code, lang, **values) for lang in LANGUAGES})

    def as_dict(self, lang: str) -> dict:
        return {"code": self.code, "explanation": self.explanation[lang], **self.details}


@dataclass
class Step:
    """Something the person can still do, in both languages."""

    code: str
    text: dict

    @classmethod
    def from_texts(cls, group: str, code: str, **values: Any) -> "Step":
        return cls(code=code, text={lang: text(group, code, lang, **values) for lang in LANGUAGES})


@dataclass
class Trace:
    """Which rules fired, with the parameters they used (value, effective date, source)."""

    entries: list = field(default_factory=list)

    def rule(self, name: str, outcome: Any, *parameters: Parameter, faq: str | None = None) -> None:
        entry = {"rule": name, "outcome": outcome, "parameters": [p.trace() for p in parameters]}
        if faq:
            entry["faq"] = faq
        self.entries.append(entry)

    def as_list(self) -> list:
        return list(self.entries)


@dataclass
class Verdict:
    """A generic rule result: verdict, reasons, next steps and trace; `data` holds rule-specific figures."""

    subject: str
    verdict: str
    reasons: list = field(default_factory=list)
    next_steps: list = field(default_factory=list)
    trace: Trace = field(default_factory=Trace)
    data: dict = field(default_factory=dict)
    summary: dict | None = None  # {"pt": ..., "en": ...}

    def as_dict(self, lang: str = "en") -> dict:
        out = {"subject": self.subject, "verdict": self.verdict}
        out.update(self.data)
        if self.summary:
            out["summary"] = self.summary[lang]
        out["reasons"] = [r.as_dict(lang) for r in self.reasons]
        out["explanations"] = {r.code: dict(r.explanation) for r in self.reasons}
        out["next_steps"] = [s.text[lang] for s in self.next_steps]
        out["trace"] = self.trace.as_list()
        return out
