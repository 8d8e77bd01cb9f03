"""Program eligibility: what a partner or provider qualifies for, rule by rule, from the FAQ.

One module per FAQ question; each public rule takes `(conn, partner_id, as_of, …)` and
answers a `rules.result.Verdict`:

- `provider_status`      — "O que eu preciso fazer para ser um fornecedor de soluções?"
- `app_utilisation`      — "Qual é a métrica de utilização média de aplicativos?"
- `dashboard_visibility` — "Por que um cliente que gerencio não está aparecendo no meu painel?"
- `tier_update`          — "Com que frequência as categorias são atualizadas?"
- `directory_listing`    — "Preciso ser parceiro de soluções para ser listado no Diretório de soluções?"
- `onboarding_waiver`    — "Meu cliente quer comprar um produto que exige onboarding…"
"""
from rules.program.app_utilisation import app_utilisation
from rules.program.dashboard_visibility import dashboard_visibility
from rules.program.directory_listing import directory_listing
from rules.program.onboarding_waiver import onboarding_waiver
from rules.program.provider_status import provider_activation, provider_standing, provider_status
from rules.program.tier_update import tier_update

__all__ = [
    "app_utilisation",
    "dashboard_visibility",
    "directory_listing",
    "onboarding_waiver",
    "provider_activation",
    "provider_standing",
    "provider_status",
    "tier_update",
]
