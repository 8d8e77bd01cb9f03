"""Whether a partner may waive the mandatory onboarding of a product its client buys.

FAQ — "Meu cliente quer comprar um produto que exige onboarding. Como estou ajudando-o com a
HubSpot, posso abrir mão do onboarding?"
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from rules.parameters import parameter
from rules.program.partner_record import find_partner
from rules.result import Reason, Step, Trace, Verdict
from rules.texts import text

FAQ = "Meu cliente quer comprar um produto que exige onboarding. Como estou ajudando-o com a HubSpot, posso abrir mão do onboarding?"
TEXTS = "program_onboarding"


def may_waive_onboarding(package: str, waiver_packages: list) -> bool:
    """"Os fornecedores de soluções não podem abrir mão do onboarding obrigatório … Se quiser abrir mão
    do onboarding obrigatório, você pode participar do nosso Pacote Solutions Partner.\""""
    return package in waiver_packages


def onboarding_waiver(conn: Connection, partner_id: str, as_of: dt.date) -> Verdict:
    """May the partner waive a client's mandatory onboarding?

    FAQ: "Os fornecedores de soluções não podem abrir mão do onboarding obrigatório, mas
    ficaremos felizes de torná-lo o ponto de contato principal para poder liderar a
    implementação com a nossa equipe. Se quiser abrir mão do onboarding obrigatório, você pode
    participar do nosso Pacote Solutions Partner." Verdict: can_waive (Solutions Partner
    package) | cannot_waive (Solutions Provider package).
    """
    partner = find_partner(conn, partner_id)
    packages = parameter("program.onboarding.waiver_packages", as_of)
    trace = Trace()
    allowed = may_waive_onboarding(partner["package"], packages.value)
    trace.rule("may_waive_onboarding", allowed, packages, faq=FAQ)
    if allowed:
        verdict, reasons, steps = "can_waive", ["partner_may_waive"], []
    else:
        verdict = "cannot_waive"
        reasons = ["provider_cannot_waive"]
        steps = ["lead_implementation", "join_partner_package"]
    return Verdict(
        subject=partner["partner_id"],
        verdict=verdict,
        reasons=[Reason.from_texts(TEXTS, code) for code in reasons],
        next_steps=[Step.from_texts(TEXTS, code) for code in steps],
        trace=trace,
        data={
            "check": "onboarding_waiver",
            "as_of": as_of.isoformat(),
            "package": partner["package"],
            "may_waive": allowed,
            "waiver_packages": list(packages.value),
        },
        summary={lang: text(TEXTS, f"summary_{verdict}", lang) for lang in ("pt", "en")},
    )
