"""The triage's data files (data/triage/*.yml): settings, word lists, reply pieces, command texts."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "triage"
LANGUAGES = ("pt", "en")


@lru_cache(maxsize=None)
def data(name: str) -> dict:
    """data/triage/<name>.yml as read."""
    with (DATA_DIR / f"{name}.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def settings() -> dict:
    return data("settings")


def _fill(entry: dict, lang: str, values: dict) -> str:
    template = entry.get(lang) or entry["en"]
    return template.format(**values) if values else template


def reply_text(code: str, lang: str, **values) -> str:
    """A piece of a reply draft (data/triage/replies.yml); `topic_text.<topic>` reaches nested entries."""
    entry = data("replies")
    for part in code.split("."):
        entry = entry[part]
    return _fill(entry, lang, values).strip("\n").rstrip()  # leading spaces are indentation


def has_reply_text(code: str) -> bool:
    entry = data("replies")
    for part in code.split("."):
        if not isinstance(entry, dict) or part not in entry:
            return False
        entry = entry[part]
    return True


def cli_text(code: str, lang: str = "en", **values) -> str:
    """What the command prints (data/triage/cli.yml)."""
    return _fill(data("cli")[code], lang, values)
