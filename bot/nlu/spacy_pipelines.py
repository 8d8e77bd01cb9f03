"""The blank Portuguese and English spaCy pipelines (lookup lemmatiser from spacy-lookups-data).

spaCy's trained pipelines are not on PyPI, so setup builds blank ones with lookup
lemmas and saves them to var/spacy/<lang> (`partnerbot nlp build`); components load them
from there. Nothing is downloaded at run time.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

LANGUAGES = ("pt", "en")


def build(directory: Path) -> None:
    """Create and save both pipelines (idempotent)."""
    import spacy

    for lang in LANGUAGES:
        target = directory / lang
        if (target / "config.cfg").exists():
            continue
        nlp = spacy.blank(lang)
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        target.mkdir(parents=True, exist_ok=True)
        nlp.to_disk(target)


@lru_cache(maxsize=4)
def _load(path: str):
    import spacy

    return spacy.load(path)


def load_all(directory: Path) -> dict:
    """Both pipelines, loaded once per process; builds them first when missing."""
    directory = Path(directory)
    if not all((directory / lang / "config.cfg").exists() for lang in LANGUAGES):
        build(directory)
    return {lang: _load(str((directory / lang).resolve())) for lang in LANGUAGES}
