"""`partnerbot commission …`: estimate a commission (contract §3) and check whether a purchase earns one.

    partnerbot commission estimate --package provider|partner --start YYYY-MM \
        --line "PRODUCT=MONTHLY_USD" [--line …] [--change "YYYY-MM:PRODUCT=MONTHLY_USD" …] \
        [--months N] [--still-managing] [--lang pt|en] [--json]
    partnerbot commission eligibility --partner ID --domain D --product P \
        --purchased-on YYYY-MM-DD [--kind resale|referral] [--lang pt|en] [--json]
"""
from __future__ import annotations

from bot.cli import emit
from bot.cli.common import add_json, add_lang, engine, parse_date
from rules.errors import BadInput


def register(subparsers) -> None:
    parser = subparsers.add_parser("commission", help="commission estimate and eligibility",
                                   description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="commission_command", metavar="COMMAND")
    commands.required = True

    estimate = commands.add_parser(
        "estimate",
        help="estimate a commission and its quarterly payouts",
        description="Estimate the commission on one customer's monthly payments (FAQ: \"Quanto ganho de "
                    "comissão…?\", \"Como recebo comissões de parceiro?\").",
    )
    # Values are checked by the rules (not by argparse) so a bad one is one clear line, exit 2.
    estimate.add_argument("--package", metavar="provider|partner", help="the partner's package")
    estimate.add_argument("--start", metavar="YYYY-MM", help="the deal close: first month the customer pays")
    estimate.add_argument("--line", action="append", default=[], metavar="PRODUCT=MONTHLY_USD",
                          help="what the customer pays each month for a product from --start (repeatable)")
    estimate.add_argument("--change", action="append", default=[], metavar="YYYY-MM:PRODUCT=MONTHLY_USD",
                          help="a product's new monthly price from that month on; =0 cancels (repeatable)")
    estimate.add_argument("--months", metavar="N",
                          help="months to estimate (default: the policy's term; required when it has no end)")
    estimate.add_argument("--still-managing", dest="still_managing", action="store_true",
                          help="a legacy lifetime partner deal: you still manage the customer after the legacy end")
    add_lang(estimate)
    add_json(estimate)
    estimate.set_defaults(func=run_estimate)

    eligibility = commands.add_parser(
        "eligibility",
        help="does a purchase earn commission for a partner?",
        description="Check whether a purchase on a domain earns commission for a partner (registration, "
                    "domain, joining date, existing customers).",
    )
    eligibility.add_argument("--partner", metavar="ID", help="partner_id")
    eligibility.add_argument("--domain", metavar="DOMAIN", help="the domain the customer bought on (domain, URL or email)")
    eligibility.add_argument("--product", metavar="PRODUCT", help="the product bought, e.g. marketing_hub_professional")
    eligibility.add_argument("--purchased-on", dest="purchased_on", metavar="YYYY-MM-DD", help="the purchase date")
    eligibility.add_argument("--kind", default="resale", metavar="resale|referral",
                             help="resale or referral (the same commission either way)")
    add_lang(eligibility)
    add_json(eligibility)
    eligibility.set_defaults(func=run_eligibility)


def _require(args, *names) -> None:
    for name in names:
        if getattr(args, name) in (None, ""):
            raise BadInput("missing_option", option="--" + name.replace("_", "-"))


def run_estimate(args) -> int:
    from rules.commission import estimate_commission

    _require(args, "package", "start")
    result = estimate_commission(args.package, args.start, args.line, args.change, args.months,
                                 still_managing=args.still_managing)
    emit(result.as_dict(args.lang), args.json, human=render_estimate)
    return 0


def run_eligibility(args) -> int:
    from rules.commission_eligibility import commission_eligibility, parse_kind
    from rules.domains import InvalidDomain, normalise_domain
    from rules.products import resolve_product

    _require(args, "partner", "domain", "product", "purchased_on")
    # Everything typed is checked before the database is touched.
    purchased_on = parse_date(args.purchased_on)
    try:
        normalise_domain(args.domain)
    except InvalidDomain as exc:
        raise BadInput("bad_domain", target=args.domain[:200], why=str(exc)) from None
    resolve_product(args.product)
    parse_kind(args.kind)
    with engine().connect() as conn:
        verdict = commission_eligibility(conn, args.partner, args.domain, args.product, purchased_on, args.kind)
    emit(verdict.as_dict(args.lang), args.json, human=render_eligibility)
    return 0


def render_estimate(payload: dict) -> str:
    lines = [payload["summary"], ""]
    for payout in payload["payouts"]:
        lines.append(f"  {payout['quarter']}  {payout['amount']:>12,.2f} {payload['currency']}  {payout['paid_on']}")
    lines += ["", payload["policy"], ""]
    lines += [f"- {note['text']}" for note in payload["notes"]]
    return "\n".join(lines)


def render_eligibility(payload: dict) -> str:
    lines = [f"{payload['verdict']}: {payload['summary']}"]
    lines += [f"- {reason['explanation']}" for reason in payload["reasons"]]
    if payload["next_steps"]:
        lines.append("")
        lines += [f"> {step}" for step in payload["next_steps"]]
    return "\n".join(lines)
