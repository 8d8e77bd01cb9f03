"""Text folding: how words are compared across the project (product names, NLU lemmas, commission
requests, email triage word lists)."""
from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without accents ("Não recebi" → "nao recebi", "comissão" → "comissao")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
