"""Bad input to a rule: a code and values, with the message in Portuguese and English from rules/texts/errors.yaml."""
from __future__ import annotations

from rules.texts import text


class BadInput(ValueError):
    """Input a rule cannot answer for (bad domain, unknown partner, impossible date, negative price…)."""

    def __init__(self, code: str, **values):
        self.code = code
        self.values = values
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        return text("errors", self.code, lang, **self.values)
