"""`partnerbot eligibility …`: the program-eligibility rules (rules/program/) for one partner, as JSON or text.

    partnerbot eligibility provider|apps|dashboard|tier-update|directory|onboarding \
        --partner ID [--domain D (dashboard)] [--as-of YYYY-MM-DD] [--lang pt|en] [--json]
"""
from __future__ import annotations

from bot.cli import emit
from bot.cli.common import add_as_of, add_json, add_lang, engine, parse_date
from rules.texts import text

TEXTS = "program_cli"

# check name → (rules.program function name, FAQ question it answers)
CHECKS = {
    "provider": ("provider_status", "O que eu preciso fazer para ser um fornecedor de soluções?"),
    "apps": ("app_utilisation", "Qual é a métrica de utilização média de aplicativos?"),
    "dashboard": ("dashboard_visibility", "Por que um cliente que gerencio não está aparecendo no meu painel?"),
    "tier-update": ("tier_update", "Com que frequência as categorias são atualizadas?"),
    "directory": ("directory_listing", "Preciso ser parceiro de soluções para ser listado no Diretório de soluções?"),
    "onboarding": ("onboarding_waiver", "Meu cliente quer comprar um produto que exige onboarding…"),
}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eligibility",
        help="program eligibility checks (provider status, app utilisation, dashboard, tiers, directory, onboarding)",
        description=__doc__.splitlines()[0],
    )
    checks = parser.add_subparsers(dest="check", metavar="CHECK")
    checks.required = True
    for name, (rule, faq) in CHECKS.items():
        check = checks.add_parser(name, help=f"FAQ: {faq}", description=f"FAQ: {faq}")
        check.add_argument("--partner", required=True, metavar="ID", help="partner_id")
        if name == "dashboard":
            check.add_argument("--domain", required=True, metavar="DOMAIN",
                               help="the client's domain (domain, URL or email address)")
            check.add_argument("--still-missing", dest="still_missing", action="store_true",
                               help="the client does not show on the dashboard although it should")
        add_as_of(check)
        add_lang(check)
        add_json(check)
        check.set_defaults(func=run, rule=rule)


def run(args) -> int:
    import rules.program as program
    from rules.program.dashboard_visibility import client_domain

    # Validate everything typed before touching the database.
    as_of = parse_date(args.as_of)
    extra = {}
    if args.rule == "dashboard_visibility":
        extra = {"domain": client_domain(args.domain), "still_missing": args.still_missing}
    rule = getattr(program, args.rule)
    with engine().connect() as conn:
        result = rule(conn, args.partner, as_of, **extra)
    payload = result.as_dict(args.lang)
    emit(payload, args.json, human=lambda p: render(p, args.lang))
    return 0


def render(payload: dict, lang: str) -> str:
    """The result for people: title, verdict, summary, reasons, the figures that matter, next steps."""
    label = lambda code, **values: text(TEXTS, code, lang, **values)  # noqa: E731
    lines = [
        label(f"title_{payload['check']}", partner=payload["subject"], as_of=payload.get("as_of", "")),
        f"{label('verdict')}: {payload['verdict']}",
    ]
    if payload.get("summary"):
        lines.append(payload["summary"])
    if payload["reasons"]:
        lines += ["", label("why")] + [f"  - {r['explanation']}" for r in payload["reasons"]]
    figures = list(_figures(payload))
    if figures:
        lines += ["", label("figures")] + [f"  {line}" for line in figures]
    if payload["next_steps"]:
        lines += ["", label("next_steps")] + [f"  - {step}" for step in payload["next_steps"]]
    return "\n".join(lines)


def _shown(value) -> str:
    return "—" if value is None else str(value)


def _figures(p: dict):
    check = p["check"]
    if check in ("provider_status", "provider_standing", "provider_activation"):
        for step in p.get("steps", []):
            yield f"{step['step']}: {'✓' if step['done'] else '✗'}"
        if "quarter" in p:
            q, prev = p["quarter"], p["previous_quarter"]
            yield f"{q['quarter']} ({q['from']} … {q['to']}): {q['products_resold']} / {q['expected']}"
            yield f"{prev['quarter']}: {prev['products_resold']} / {prev['expected']}"
            yield f"own_subscription: {'✓' if p['own_subscription']['kept'] else '✗'} ({p['own_subscription']['own_domain']})"
    elif check == "app_utilisation":
        yield f"average: {_shown(p['average'])} (minimum {p['minimum_average']}, {p['accounts_counted']} accounts)"
        yield f"sold after {p['sold_window']['after']} through {p['sold_window']['through']}"
        for account in p["accounts"]:
            yield f"{account['domain']} [{'+'.join(account['sources'])}]: {account['counted_apps']} ({', '.join(account['apps'])})"
    elif check == "dashboard_visibility":
        yield f"domain: {p['domain']} (managed: {p['managed']})"
        yield f"first_active_on: {_shown(p['first_active_on'])}  last_active_on: {_shown(p['last_active_on'])}"
    elif check == "tier_update":
        yield f"next_update_on: {p['next_update_on']} (update_today: {p['update_today']})"
        yield f"current_tier: {_shown(p['current_tier'])}  next_tier: {_shown(p['next_tier'])}"
    elif check == "directory_listing":
        cert = p["certification"] or {}
        yield f"{p['required_certification']}: earned {_shown(cert.get('earned_on'))}, expires {_shown(cert.get('expires_on'))}, valid {cert.get('valid', False)}"
    elif check == "onboarding_waiver":
        yield f"package: {p['package']}  may_waive: {p['may_waive']}"
