"""The product catalogue (rules/parameters/products/catalogue.yaml) and how typed names resolve to codes."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.errors import BadInput
from rules.products import alias_key, catalogue, display_name, product, resolve_product, same_hub_other_editions

HUBS = ("marketing", "sales", "service", "content", "operations", "commerce")
EDITIONS = ("starter", "professional", "enterprise")
ADDONS = ("addon_reporting", "addon_ads", "addon_transactional_email", "addon_additional_seats")


def test_every_hub_in_every_edition_and_the_add_ons():
    cat = catalogue(dt.date(2019, 1, 1))
    expected = {f"{h}_hub_{e}" for h in HUBS for e in EDITIONS} | set(ADDONS)
    assert set(cat.products) == expected
    assert cat.source.name == "products.catalogue" and cat.source.effective == dt.date(2018, 1, 1)
    for code in expected:
        assert resolve_product(code) == code  # every code names itself
        assert resolve_product(code.upper()) == code


def test_contract_examples_are_codes():
    # contract §1: products "sales_hub_starter;marketing_hub_professional"
    assert resolve_product("sales_hub_starter") == "sales_hub_starter"
    assert resolve_product("marketing_hub_professional") == "marketing_hub_professional"


@pytest.mark.parametrize(
    "typed, code",
    [
        ("Sales Hub Pro", "sales_hub_professional"),
        ("Sales Starter", "sales_hub_starter"),  # the FAQ's own wording
        ("Sales Professional", "sales_hub_professional"),
        ("Marketing Professional", "marketing_hub_professional"),
        ("Marketing Enterprise Hub", "marketing_hub_enterprise"),  # "Marketing Professional ou Enterprise Hub"
        ("Professional Marketing", "marketing_hub_professional"),
        ("hub de vendas profissional", "sales_hub_professional"),
        ("Hub de Atendimento Starter", "service_hub_starter"),
        ("CMS Hub Pro", "content_hub_professional"),
        ("Content Hub Enterprise", "content_hub_enterprise"),
        ("Operations Hub Starter", "operations_hub_starter"),
        ("Commerce Hub Pro", "commerce_hub_professional"),
        ("HubSpot Marketing Hub Ent", "marketing_hub_enterprise"),
        ("Reporting add-on", "addon_reporting"),
        ("Complemento de relatórios", "addon_reporting"),
        ("licenças adicionais", "addon_additional_seats"),
        ("E-mail transacional", "addon_transactional_email"),
    ],
)
def test_common_spellings(typed, code):
    assert resolve_product(typed) == code


@pytest.mark.parametrize("typed", ["", "   ", "Sales Hub", "Marketing", "Pro", "sales_hub_gold", "hubspot", "x" * 101, None, 5])
def test_unknown_products(typed):
    with pytest.raises(BadInput) as raised:
        resolve_product(typed)
    assert raised.value.code == "unknown_product"
    assert "sales_hub_starter" in raised.value.message("en") and "sales_hub_starter" in raised.value.message("pt")


def test_products_know_their_hub_and_edition():
    pro = product("Sales Hub Pro")
    assert (pro.code, pro.hub, pro.edition, pro.is_addon) == ("sales_hub_professional", "sales", "professional", False)
    assert pro.display("en") == "Sales Hub Professional"
    seats = product("addon_additional_seats")
    assert seats.is_addon and seats.hub is None and seats.display("pt") == "Licenças adicionais"
    assert display_name("addon_reporting", "pt") == "Complemento de relatórios"
    assert display_name("something_else", "en") == "something_else"


def test_one_edition_per_hub_relations():
    assert set(same_hub_other_editions("sales_hub_professional")) == {"sales_hub_starter", "sales_hub_enterprise"}
    assert same_hub_other_editions("addon_ads") == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_resolving_any_text_answers_a_code_or_bad_input(typed):
    try:
        code = resolve_product(typed)
    except BadInput as exc:
        assert exc.code == "unknown_product"
    else:
        assert code in catalogue().products


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(catalogue().aliases)), st.sampled_from(["", " ", "  "]), st.booleans())
def test_aliases_survive_case_spacing_and_punctuation(alias, pad, upper):
    typed = pad + (alias.upper() if upper else alias).replace(" ", "-") + pad
    assert resolve_product(typed) == catalogue().aliases[alias]
    assert alias_key(typed) == alias
