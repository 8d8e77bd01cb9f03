"""The HubSpot product catalogue: which product codes exist and how people write them.

The catalogue itself is a dated parameter (`rules/parameters/products/catalogue.yaml`);
this module turns it into products (code, hub, edition, names) and resolves what a person
types — `sales_hub_professional`, "Sales Hub Pro", "Sales Starter", "CMS Hub Enterprise",
"Complemento de relatórios" — into one code.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from rules.errors import BadInput
from rules.folding import fold
from rules.parameters import Parameter, parameter

CATALOGUE = "products.catalogue"
MAX_PRODUCT_TEXT = 100


@dataclass(frozen=True)
class Product:
    """One product a customer pays for: a hub in one edition, or an add-on."""

    code: str
    name: dict  # {"pt": ..., "en": ...}
    hub: str | None = None  # marketing, sales, service, content, operations, commerce; None for add-ons
    edition: str | None = None  # starter, professional, enterprise; None for add-ons

    @property
    def is_addon(self) -> bool:
        return self.hub is None

    def display(self, lang: str = "en") -> str:
        return self.name.get(lang) or self.name["en"]


@dataclass(frozen=True)
class Catalogue:
    products: dict  # code -> Product
    aliases: dict  # normalised text -> code
    source: Parameter

    def __contains__(self, code: str) -> bool:
        return code in self.products

    def __getitem__(self, code: str) -> Product:
        return self.products[code]


def alias_key(text: str) -> str:
    """What a product name looks like once case, accents, punctuation and "HubSpot" are set aside."""
    words = re.sub(r"[^a-z0-9]+", " ", fold(text)).split()
    if words and words[0] == "hubspot":
        words = words[1:]
    return " ".join(words)


def catalogue(on: dt.date | None = None) -> Catalogue:
    """The catalogue in force on `on` (default: today)."""
    param = parameter(CATALOGUE, on or dt.date.today())
    if param.effective not in _BUILT:
        _BUILT[param.effective] = _build(param)
    return _BUILT[param.effective]


_BUILT: dict = {}


def _build(param: Parameter) -> Catalogue:
    value = param.value
    products: dict[str, Product] = {}
    aliases: dict[str, str] = {}

    def alias(text: str, code: str) -> None:
        key = alias_key(text)
        if aliases.get(key, code) != code:
            raise ValueError(f"catalogue alias {text!r} names both {aliases[key]} and {code}")
        aliases[key] = code

    for hub, hub_entry in value["hubs"].items():
        for edition, edition_entry in value["editions"].items():
            code = f"{hub}_hub_{edition}"
            name = f"{hub_entry['name']} {edition_entry['name']}"
            products[code] = Product(code=code, name={"pt": name, "en": name}, hub=hub, edition=edition)
            alias(code, code)
            alias(name, code)
            for hub_alias in hub_entry.get("aliases", []):
                for edition_alias in edition_entry.get("aliases", []):
                    alias(f"{hub_alias} {edition_alias}", code)
                    alias(f"{edition_alias} {hub_alias}", code)
                    if not alias_key(hub_alias).endswith("hub"):
                        alias(f"{hub_alias} hub {edition_alias}", code)
                        alias(f"{hub_alias} {edition_alias} hub", code)
    for code, entry in value["addons"].items():
        name = entry["name"] if isinstance(entry["name"], dict) else {"pt": entry["name"], "en": entry["name"]}
        products[code] = Product(code=code, name=name)
        alias(code, code)
        for text in (*name.values(), *entry.get("aliases", [])):
            alias(text, code)
    return Catalogue(products=products, aliases=aliases, source=param)


def resolve_product(text: str, on: dt.date | None = None) -> str:
    """The catalogue code for what a person typed, or BadInput('unknown_product')."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_PRODUCT_TEXT:
        raise BadInput("unknown_product", product=str(text)[:MAX_PRODUCT_TEXT])
    cat = catalogue(on)
    code = cat.aliases.get(alias_key(text))
    if code is None:
        raise BadInput("unknown_product", product=text.strip())
    return code


def product(code: str, on: dt.date | None = None) -> Product:
    """The product with this code (or any of its aliases)."""
    return catalogue(on)[resolve_product(code, on)]


def display_name(code: str, lang: str = "en", on: dt.date | None = None) -> str:
    """How people read a product code ("sales_hub_professional" → "Sales Hub Professional"); unknown codes as given."""
    cat = catalogue(on)
    return cat[code].display(lang) if code in cat else code


def same_hub_other_editions(code: str, on: dt.date | None = None) -> list[str]:
    """The other editions of this product's hub: a portal has one edition of each hub at a time,
    so buying one of them replaces the others (an upgrade or a downgrade)."""
    cat = catalogue(on)
    item = cat[code]
    if item.is_addon:
        return []
    return [c for c, p in cat.products.items() if p.hub == item.hub and c != code]
