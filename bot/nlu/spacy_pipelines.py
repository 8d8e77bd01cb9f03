"""The blank Portuguese and English spaCy pipelines (lookup lemmatiser from spacy-lookups-data).

spaCy's trained pipelines are not on PyPI, so setup builds blank ones with lookup
lemmas and saves them to var/spacy/<lang> (`partnerbot nlp build`); components load them
from there. Nothing is downloaded at run time.

Portuguese is often typed without accents ("comissao", "niveis", "voce"), spellings the
lookup table does not hold. Setup also writes `folded_lemmas.json` beside the pipeline: the
lemma of every accented form under its unaccented spelling, where that spelling is not a word
of its own and all its forms agree on the lemma. The tokenizer reads it (`folded_lemmas`).
"""
from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

from rules.folding import fold

LANGUAGES = ("pt", "en")
FOLDED_LEMMAS = "folded_lemmas.json"


def build(directory: Path) -> None:
    """Create and save both pipelines (idempotent)."""
    import spacy

    for lang in LANGUAGES:
        target = directory / lang
        if not (target / "config.cfg").exists():
            nlp = spacy.blank(lang)
            nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            nlp.initialize()
            target.mkdir(parents=True, exist_ok=True)
            nlp.to_disk(target)
        if not (target / FOLDED_LEMMAS).exists():
            _write_folded_lemmas(lang, target / FOLDED_LEMMAS)


def _write_folded_lemmas(lang: str, path: Path) -> None:
    import spacy_lookups_data

    source = Path(spacy_lookups_data.__file__).parent / "data" / f"{lang}_lemma_lookup.json.gz"
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        table = json.load(handle)
    lemmas: dict = {}
    for form, lemma in table.items():
        plain = fold(form)
        if plain != form and plain not in table:
            lemmas.setdefault(plain, set()).add(lemma)
    unambiguous = {plain: found.pop() for plain, found in lemmas.items() if len(found) == 1}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(unambiguous, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def folded_lemmas(directory: Path, lang: str) -> dict:
    """Unaccented spelling -> lemma for the language (empty when setup wrote none)."""
    return _read_folded(str((Path(directory) / lang / FOLDED_LEMMAS).resolve()))


@lru_cache(maxsize=4)
def _read_folded(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}


@lru_cache(maxsize=4)
def _load(path: str):
    import spacy

    return spacy.load(path)


def load_all(directory: Path) -> dict:
    """Both pipelines, loaded once per process; builds them first when missing."""
    directory = Path(directory)
    if not all((directory / lang / name).exists() for lang in LANGUAGES for name in ("config.cfg", FOLDED_LEMMAS)):
        build(directory)
    return {lang: _load(str((directory / lang).resolve())) for lang in LANGUAGES}
