"""Explanations and next steps in Portuguese and English, read from `rules/texts/*.yaml`.

Each file is a group (`reasons.yaml`, `next_steps.yaml`, …) mapping a code to
`{pt: …, en: …}` templates with `{placeholders}`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

TEXTS_DIR = Path(__file__).parent / "texts"


@lru_cache(maxsize=None)
def _group(group: str) -> dict:
    with (TEXTS_DIR / f"{group}.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def text(group: str, code: str, lang: str, **values) -> str:
    """The text `code` of `group` in `lang`, with `values` filled in."""
    entry = _group(group)[code]
    template = entry[lang] if lang in entry else entry["en"]
    return template.format(**values).strip() if values else template.strip()


def has_text(group: str, code: str) -> bool:
    return code in _group(group)
