"""spaCy Matcher patterns for the entities partnerbot reads: domain, email, product, money, month,
duration_months, package, partner_id and number, with values normalised for the rules engine.

The vocabulary (product words, currencies, month names in both languages, ignored domains)
is data: data/patterns/entities.yml. Values: domain → normalised domain; product →
`sales_hub_starter` (or `sales_hub` when no edition was said); money → "1200.5"; month →
"2019-07", or "--07" when no year was said; duration_months → "24".
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import yaml

from rules.domains import InvalidDomain, normalise_domain

PATTERNS_FILE = Path(__file__).resolve().parents[2] / "data" / "patterns" / "entities.yml"
_YEAR = r"^(19|20)\d\d$"
_MONTH_NUM = r"^(0?[1-9]|1[0-2])$"
_DOMAINISH = r"^(https?://)?[\w-]+(\.[\w-]+)+\.?(/\S*)?$"


@lru_cache(maxsize=1)
def vocabulary() -> dict:
    with PATTERNS_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def parse_amount(text: str) -> Decimal | None:
    """'1.200,50' / '1,200.50' / 'US$50' → Decimal; None if no number."""
    digits = re.sub(r"[^\d.,]", "", text)
    if not re.search(r"\d", digits):
        return None
    if "," in digits and "." in digits:
        decimal_sep = "," if digits.rfind(",") > digits.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        digits = digits.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in digits:
        groups = digits.split(",")
        if all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3:
            digits = "".join(groups)  # 1,200 or 1,200,000: thousands
        elif len(groups) == 2:
            digits = ".".join(groups)  # 50,5: decimal comma
        else:
            return None
    elif digits.count(".") > 1 or (digits.count(".") == 1 and len(digits.split(".")[1]) == 3):
        digits = digits.replace(".", "")
    try:
        return Decimal(digits.strip("."))
    except InvalidOperation:
        return None


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


class EntityPatterns:
    """Builds one Matcher per language pipeline and extracts normalised entities from text."""

    def __init__(self, pipelines: dict):
        from spacy.matcher import Matcher

        self._pipelines = pipelines
        self._vocab = vocabulary()
        self._month_words = {w: int(num) for num, words in self._vocab["months"].items() for w in words}
        self._matchers = {}
        for lang, nlp in pipelines.items():
            matcher = Matcher(nlp.vocab)
            for label, patterns in self._patterns().items():
                matcher.add(label, patterns)
            self._matchers[lang] = matcher
        self._partner_id = re.compile(self._vocab["partner_id_regex"])

    def _patterns(self) -> dict:
        v = self._vocab
        hubs = [k for k in v["hubs"] if " " not in k]
        editions = list(v["editions"])
        unambiguous_months = [w for w in self._month_words if w not in v["ambiguous_month_words"]]
        number = {"TEXT": {"REGEX": r"^\d[\d.,]*$"}}
        return {
            "money": [
                [{"LOWER": {"IN": v["currency_before"]}}, number],
                [{"LOWER": {"REGEX": r"^(us\$|u\$|\$|usd)\d[\d.,]*$"}}],
                [number, {"LOWER": {"IN": v["currency_after"]}}],
                [number, {"LOWER": {"IN": v["per_month"]}}],
                [number, {"ORTH": "/"}, {"LOWER": {"IN": ["mês", "mes", "month", "mo", "m"]}}],
                [number, {"LOWER": {"IN": ["a", "per", "por", "ao", "each", "every"]}}, {"LOWER": {"IN": ["month", "mês", "mes"]}}],
            ],
            "month": [
                [{"LOWER": {"IN": list(self._month_words)}}, {"LOWER": {"IN": v["month_year_joiners"]}, "OP": "?"}, {"TEXT": {"REGEX": _YEAR}}],
                [{"LOWER": {"REGEX": r"^[a-zç]{3,9}/(19|20)\d\d$"}}],
                [{"TEXT": {"REGEX": r"^(19|20)\d\d-(0?[1-9]|1[0-2])$"}}],
                [{"TEXT": {"REGEX": _YEAR}}, {"ORTH": "-"}, {"TEXT": {"REGEX": _MONTH_NUM}}],
                [{"TEXT": {"REGEX": r"^(0?[1-9]|1[0-2])/(19|20)\d\d$"}}],
                [{"LOWER": {"IN": unambiguous_months}}],
            ],
            "product": [
                [{"LOWER": {"IN": hubs}}, {"LOWER": {"IN": v["hub_words"]}}, {"LOWER": {"IN": editions}, "OP": "?"}],
                [{"LOWER": {"IN": hubs}}, {"LOWER": {"IN": editions}}],
                [{"LOWER": {"IN": v["hub_words"]}}, {"LOWER": {"IN": ["de", "of", "do"]}}, {"LOWER": {"IN": hubs}}, {"LOWER": {"IN": editions}, "OP": "?"}],
            ],
            "duration_months": [[number, {"LOWER": {"IN": v["duration_words"]}}]],
            "package": [
                [{"LOWER": {"IN": [k for k in v["packages"] if " " not in k]}}],
                [{"LOWER": "solutions"}, {"LOWER": {"IN": ["provider", "partner"]}}],
            ],
        }

    # -- values --------------------------------------------------------------------------------
    def _month_value(self, span) -> str | None:
        text = span.text.lower()
        year = re.search(r"(19|20)\d\d", text)
        word = re.match(r"[a-zç]+", text)
        if word and word.group(0) in self._month_words:
            month = self._month_words[word.group(0)]
        else:
            numbers = [int(n) for n in re.findall(r"\d+", text) if len(n) <= 2]
            if not numbers or not 1 <= numbers[0] <= 12:
                return None
            month = numbers[0]
        return f"{year.group(0)}-{month:02d}" if year else f"--{month:02d}"

    def _product_value(self, span) -> str:
        words = [t.lower_ for t in span]
        hub = next(self._vocab["hubs"][w] for w in words if w in self._vocab["hubs"])
        edition = next((self._vocab["editions"][w] for w in words if w in self._vocab["editions"]), None)
        return f"{hub}_hub_{edition}" if edition else f"{hub}_hub"

    def _package_value(self, span) -> str:
        text = span.text.lower()
        return self._vocab["packages"].get(text) or ("provider" if "provider" in text else "partner")

    # -- extraction ----------------------------------------------------------------------------
    def extract(self, text: str, language: str = "pt") -> list:
        from spacy.util import filter_spans

        nlp = self._pipelines.get(language) or next(iter(self._pipelines.values()))
        doc = nlp.make_doc(text)
        matcher = self._matchers.get(language) or next(iter(self._matchers.values()))
        spans = []
        for match_id, start, end in matcher(doc):
            span = doc[start:end]
            span.label_ = nlp.vocab.strings[match_id]
            spans.append(span)
        entities = []
        used = set()
        for span in sorted(filter_spans(spans), key=lambda s: s.start):
            value = None
            if span.label_ == "money":
                amount = parse_amount(span.text)
                value = _plain(amount) if amount is not None else None
            elif span.label_ == "month":
                value = self._month_value(span)
            elif span.label_ == "product":
                value = self._product_value(span)
            elif span.label_ == "duration_months":
                amount = parse_amount(span[0].text)
                value = str(int(amount)) if amount is not None and amount == amount.to_integral() else None
            elif span.label_ == "package":
                value = self._package_value(span)
            if value is None:
                continue
            used.update(range(span.start, span.end))
            entities.append(_entity(span.label_, value, span.start_char, span.end_char, span.text))
        ignored = set(self._vocab["ignored_domains"])
        for token in doc:
            if token.i in used:
                continue
            raw = token.text
            if token.like_email or re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", raw):
                email = raw.strip(".,;:()<>").lower()
                entities.append(_entity("email", email, token.idx, token.idx + len(raw), raw))
                domain = _domain(email)
                if domain and domain not in ignored:
                    entities.append(_entity("domain", domain, token.idx, token.idx + len(raw), raw))
            elif token.like_url or re.match(_DOMAINISH, raw, re.IGNORECASE):
                domain = _domain(raw.strip(",;:()<>"))
                if domain and domain not in ignored:
                    entities.append(_entity("domain", domain, token.idx, token.idx + len(raw), raw))
            elif self._partner_id.match(raw):
                digits = re.sub(r"\D", "", raw)
                entities.append(_entity("partner_id", f"P-{digits}", token.idx, token.idx + len(raw), raw))
            elif re.match(r"^\d[\d.,]*$", raw):
                amount = parse_amount(raw)
                if amount is not None:
                    entities.append(_entity("number", _plain(amount), token.idx, token.idx + len(raw), raw))
        return sorted(entities, key=lambda e: (e["start"], e["entity"]))


def _domain(text: str) -> str | None:
    if re.fullmatch(r"[\d.,]+", text):
        return None
    try:
        return normalise_domain(text)
    except InvalidDomain:
        return None


def _entity(label: str, value: str, start: int, end: int, text: str) -> dict:
    return {"entity": label, "value": value, "start": start, "end": end, "text": text, "confidence_entity": 1.0}
