"""`partnerbot lead check|register`: the partner team's lead tool (contract §2), answering as staff.

Staff see who owns a lead (`owner_partner_id`); partners never do, in chat or elsewhere.
"""
from __future__ import annotations

import getpass

from bot.cli import emit
from bot.cli.common import add_as_of, add_json, add_lang, engine, parse_date


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def register(subparsers) -> None:
    lead = subparsers.add_parser("lead", help="check or register a lead (a domain) for a partner")
    sub = lead.add_subparsers(dest="lead_command", metavar="ACTION")
    sub.required = True

    check = sub.add_parser("check", help="is TARGET available to the partner, and why not")
    check.add_argument("target", metavar="TARGET", help="a domain, URL or email address")
    check.add_argument("--partner", required=True, metavar="ID", help="the partner_id asking")
    add_as_of(check)
    add_lang(check)
    add_json(check)
    check.set_defaults(func=run_check)

    reg = sub.add_parser("register", help="register TARGET for the partner when it is available")
    reg.add_argument("target", metavar="TARGET", help="a domain, URL or email address")
    reg.add_argument("--partner", required=True, metavar="ID", help="the partner_id registering")
    reg.add_argument("--contact", required=True, metavar="EMAIL", help="the contact at the company")
    add_as_of(reg)
    add_lang(reg)
    add_json(reg)
    reg.set_defaults(func=run_register)


def run_check(args) -> int:
    from rules.lead_availability import check_lead
    from rules.lead_registration import write_audit

    as_of = parse_date(args.as_of)
    eng = engine()
    with eng.begin() as conn:  # the check and its audit row together (bad input writes neither)
        result = check_lead(conn, args.target, args.partner, as_of)
        write_audit(conn, actor=_actor(), role="staff", action="lead_check", target=result.domain,
                    partner_id=result.partner_id, result=result.status)
    emit(result.as_dict(args.lang, staff=True), args.json, lambda payload: readable(payload, args.lang))
    return 0


def run_register(args) -> int:
    from rules.lead_registration import register_lead

    as_of = parse_date(args.as_of)
    result = register_lead(engine(), args.target, args.partner, args.contact, as_of, actor=_actor(), role="staff")
    emit(result.as_dict(args.lang, staff=True), args.json, lambda payload: readable(payload, args.lang))
    return 0


_LABELS = {
    "en": {"reasons": "Why", "next_steps": "Next steps", "owner": "owner", "not_registered": "Not registered"},
    "pt": {"reasons": "Por quê", "next_steps": "Próximos passos", "owner": "dono", "not_registered": "Não registrado"},
}


def readable(payload: dict, lang: str) -> str:
    """The result as a few lines for a person: the summary, the reasons, the next steps."""
    labels = _LABELS[lang]
    lines = [payload["summary"]]
    if payload.get("not_registered"):
        lines.append(f"{labels['not_registered']}: {payload['not_registered']['explanation']}")
    if payload["reasons"]:
        lines.append("")
        lines.append(f"{labels['reasons']}:")
        for reason in payload["reasons"]:
            owner = f" [{labels['owner']}: {reason['owner_partner_id']}]" if reason.get("owner_partner_id") else ""
            lines.append(f"  - {reason['code']}{owner}: {reason['explanation']}")
    if payload["next_steps"]:
        lines.append("")
        lines.append(f"{labels['next_steps']}:")
        lines.extend(f"  {i}. {step}" for i, step in enumerate(payload["next_steps"], 1))
    return "\n".join(lines)
