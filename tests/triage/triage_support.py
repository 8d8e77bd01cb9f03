"""Shared pieces of the email-triage tests: the corpus, the CRM, mailbox builders, a stand-in classifier.

(A module of its own, not conftest.py: test folders here share the module name `conftest`.)
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
CRM = HERE / "crm"
AS_OF = dt.date(2026, 11, 30)


def corpus_files() -> list:
    return sorted(CORPUS.glob("*.eml"))


def mbox_bytes(paths) -> bytes:
    """An mbox (mboxrd) of the files: a "From " line before each, ">From " escaping, a blank line after."""
    chunks = []
    for path in paths:
        body = path.read_bytes().replace(b"\r\n", b"\n")
        lines = body.split(b"\n")
        escaped = [b">" + line if line.lstrip(b">").startswith(b"From ") else line for line in lines]
        chunks.append(b"From triage-test@example.com Mon Nov 30 10:00:00 2026\n" + b"\n".join(escaped).rstrip(b"\n") + b"\n\n")
    return b"".join(chunks)


class FakeClassifier:
    """Stands in for the model where a test is about everything but the model: a fixed answer."""

    def __init__(self, intent="faq", faq_id="commission_how_paid", confidence=0.93, fallback=False, fail_on=None):
        from bot.triage.understanding import Understanding

        self.answer = Understanding(intent=intent, confidence=confidence, faq_id=faq_id, fallback=fallback)
        self.fail_on = fail_on
        self.calls = []

    def classify(self, head, candidates):
        self.calls.append((head, candidates))
        if self.fail_on and self.fail_on in head:
            raise RuntimeError("model exploded")
        return self.answer


def snapshot(path: Path) -> dict:
    """Every file under `path` (or `path` itself) with its bytes and modification time, and every folder's mtime."""
    entries = [path] if path.is_file() else [path, *sorted(path.rglob("*"))]
    return {str(p): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns) for p in entries}


def read_jsonl(path: Path) -> list:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
