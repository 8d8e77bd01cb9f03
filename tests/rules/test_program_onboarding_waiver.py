"""Onboarding waiver — FAQ "Meu cliente quer comprar um produto que exige onboarding… posso abrir mão do onboarding?"."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest_program import codes, given, program_db, run_rule  # noqa: E402,F401  (fixtures)
from rules.program.onboarding_waiver import onboarding_waiver  # noqa: E402

AS_OF = dt.date(2024, 6, 1)


def test_a_solutions_partner_may_waive(given):
    engine = given({"partners": [{"partner_id": "P1", "name": "Parceira", "package": "partner"}]})
    result = run_rule(engine, onboarding_waiver, "P1", AS_OF)
    assert result.verdict == "can_waive"
    assert codes(result.reasons) == ["partner_may_waive"]
    assert result.next_steps == []
    assert result.data["may_waive"] is True


def test_a_provider_may_not_but_can_lead_the_implementation_or_join_the_partner_package(given):
    engine = given({"partners": [{"partner_id": "P1", "name": "Fornecedora", "package": "provider"}]})
    result = run_rule(engine, onboarding_waiver, "P1", AS_OF)
    assert result.verdict == "cannot_waive"
    assert codes(result.reasons) == ["provider_cannot_waive"]
    assert "ponto de contato principal" in result.reasons[0].explanation["pt"]
    assert codes(result.next_steps) == ["lead_implementation", "join_partner_package"]
    assert "partnerteam@hubspot.com" in result.next_steps[1].text["en"]
    out = result.as_dict("en")
    assert out["trace"][0]["parameters"][0] == {
        "parameter": "program.onboarding.waiver_packages", "value": ["partner"], "effective": "2018-01-01",
        "source": out["trace"][0]["parameters"][0]["source"]}
