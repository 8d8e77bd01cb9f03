"""Text folding shared by the NLU, the commission reader and the email triage."""
from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without accents: how words are compared ("Não recebi" → "nao recebi", "comissão" → "comissao")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
