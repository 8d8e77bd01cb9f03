"""Commission eligibility: does this partner earn commission on this purchase, on this domain, on this date?

`commission_eligibility(conn, partner_id, purchase_domain, product, purchased_on, kind)` applies
the FAQ's commission rules, one small named rule each, and answers a `Verdict`:
`eligible`, `not_eligible` (with every reason that applies) or
`eligible_through_partner_collaboration` (an existing Sales Hub customer buying Marketing Hub
Professional or Enterprise). It only reads the database.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import select

from rules.commission import add_months, commission_term, legacy_lifetime_end
from rules.db.models import accounts, managed_accounts, partners, registrations, subscriptions
from rules.domains import InvalidDomain, display_domain, normalise_domain
from rules.errors import BadInput
from rules.lead_availability import Registration, registration_active
from rules.parameters import Parameter, ParameterError, parameter
from rules.products import catalogue, display_name, resolve_product
from rules.result import LANGUAGES, Reason, Step, Trace, Verdict
from rules.texts import text

REASONS = "commission_eligibility"
NEXT_STEPS = "commission_next_steps"

ELIGIBLE = "eligible"
NOT_ELIGIBLE = "not_eligible"
THROUGH_COLLABORATION = "eligible_through_partner_collaboration"
VERDICTS = (ELIGIBLE, NOT_ELIGIBLE, THROUGH_COLLABORATION)

FAQ_CREDIT = "Como recebo crédito por indicar ou revender produtos da HubSpot?"
FAQ_WHY_REGISTER = "Por que eu devo registrar um lead?"
FAQ_OTHER_DOMAIN = "Meu cliente comprou um produto da HubSpot em um domínio diferente do que registrei. Ainda posso receber comissão?"
FAQ_BEFORE_JOINING = "Indiquei ou revendi produtos da HubSpot a alguém antes de entrar para o programa. Posso obter crédito agora?"
FAQ_EXISTING_CUSTOMER = "Posso ganhar comissão por um cliente existente da HubSpot para o qual não vendi?"
FAQ_REFERRAL_VS_RESALE = "Minha comissão será diferente se eu indicar o cliente ou se eu mesmo fizer a venda?"
FAQ_HOW_PAID = "Como recebo comissões de parceiro?"

EXCEPTION = "commission.existing_customer_exception"
KINDS = "commission.same_commission_for"


@dataclass(frozen=True)
class Partner:
    partner_id: str
    package: str
    joined_on: dt.date


@dataclass
class CustomerHistory:
    """What the account already had before the purchase, and whose customer it was."""

    status: str  # new | own | existing
    source: str  # subscriptions | accounts | none
    products: list = field(default_factory=list)  # product codes held before the purchase
    first_purchase: Optional[dt.date] = None  # for the partner's own customer: its first credited purchase
    unknown_products: list = field(default_factory=list)


# --------------------------------------------------------------------------- rules


def bought_after_joining(partner: Partner, purchased_on: dt.date) -> bool:
    """A purchase made before the partner joined the program earns nothing.

    FAQ "Indiquei ou revendi produtos da HubSpot a alguém antes de entrar para o programa. Posso
    obter crédito agora?": "Infelizmente, não podemos pagar comissão sobre leads que não tenham sido
    registrados adequadamente e que compraram produtos da HubSpot antes de você entrar para o
    programa." A purchase on the joining day counts.
    """
    return purchased_on >= partner.joined_on


def registered_before_purchase(own_registrations: list, purchased_on: dt.date) -> tuple[str, Optional[Registration]]:
    """The partner must have registered this exact domain on or before the purchase, and the
    registration must still have been active (not expired) on the purchase date.

    FAQ "Como recebo crédito por indicar ou revender produtos da HubSpot?": "Sem registrar o lead,
    não podemos garantir sua comissão ou crédito pela venda." FAQ "Por que eu devo registrar um
    lead?": "Você deve registrar os leads ANTES de apresentar a empresa à HubSpot ou correrá o risco
    de perder a comissão!" Answers `registered`, `registered_after_purchase`,
    `registration_expired` or `not_registered`, with the registration concerned.
    """
    active = [r for r in own_registrations if registration_active(r, purchased_on)]
    if active:
        return "registered", min(active, key=lambda r: r.registered_on)
    later = [r for r in own_registrations if r.registered_on > purchased_on]
    if later:
        return "registered_after_purchase", min(later, key=lambda r: r.registered_on)
    if own_registrations:
        return "registration_expired", max(own_registrations, key=lambda r: r.expires_on)
    return "not_registered", None


def purchase_on_registered_domain(own_registrations: list, related: list) -> bool:
    """The purchase must be on the very domain the partner registered: a purchase on a different
    domain — another TLD, a subdomain, a parent domain — earns nothing, with no exceptions.

    FAQ "Meu cliente comprou um produto da HubSpot em um domínio diferente do que registrei. Ainda
    posso receber comissão?": "Não. A comissão depende totalmente do registro do domínio no qual um
    cliente faz uma compra da HubSpot. … Não há exceções para isso". Fails when the partner never
    registered this domain but did register a related one (`related_domains`).
    """
    return bool(own_registrations) or not related


def related_domains(domain: str, other: str) -> bool:
    """Two different domains that look like the same company's (subdomain, parent, another TLD):
    used only to explain which registered domain the purchase missed."""
    if domain == other:
        return False
    if domain.endswith("." + other) or other.endswith("." + domain):
        return True
    return _company_label(domain) == _company_label(other)


def _company_label(domain: str) -> str:
    labels = domain.split(".")
    # acme.com.br, acme.co.uk: the company is before a two-part suffix.
    if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3:
        return labels[-3]
    return labels[-2]


def existing_customer(history: CustomerHistory) -> bool:
    """Was the account already a HubSpot customer — someone else's — before the purchase?

    FAQ "Posso ganhar comissão por um cliente existente da HubSpot para o qual não vendi?": "a
    comissão só poderá ser obtida por clientes novos da HubSpot que você trouxer para a empresa."
    The partner's own customer (it sold the earlier subscriptions) is not "existing" here: see
    `own_customer_subsequent_purchase`.
    """
    return history.status == "existing"


def existing_customer_exception(history: CustomerHistory, product: str, exception: Parameter) -> bool:
    """The only case an existing customer earns: an existing Sales Hub customer buying Marketing
    Hub Professional or Enterprise, through partner collaboration with the Partner Development
    Manager.

    FAQ "Posso ganhar comissão por um cliente existente da HubSpot para o qual não vendi?": "Os
    parceiros podem receber comissão por clientes existentes do Sales Hub que fizeram upgrade para
    um Marketing Professional ou Enterprise Hub. Isso é feito por meio do processo de colaboração
    de parceiro e deve ser trabalhado com seu Gerente de desenvolvimento de parceiros."
    """
    cat = catalogue()
    hubs = {cat[code].hub for code in history.products if code in cat}
    return bool(hubs & set(exception.value["existing_hubs"])) and product in exception.value["purchased_products"]


def own_customer_subsequent_purchase(partner: Partner, history: CustomerHistory, purchased_on: dt.date,
                                     still_managing: bool) -> tuple[bool, list, Optional[str]]:
    """A later purchase by the partner's own customer earns while the commission term of the
    first sale runs: the rest of the first year for providers; for partners the customer's
    lifetime (legacy deals: after the legacy end only while still managing it) or 36 months.

    FAQ "Posso ganhar comissão por um cliente existente…?": "Se você tiver registrado e feito a
    venda inicialmente, receberá comissão por quaisquer compras subsequentes que o cliente fizer
    pelo restante do ano, a ser contado a partir da data da primeira compra. As agências parceiras
    recebem comissão pelo tempo em que o cliente permanecer um cliente da HubSpot."
    Answers (earns, parameters used, the failing reason code or None).
    """
    first = history.first_purchase
    term = commission_term(partner.package, first.replace(day=1))
    used = [term]
    if term.value is not None:
        ends = add_months(first.replace(day=1), int(term.value))
        return purchased_on < ends, used, (None if purchased_on < ends else "own_customer_term_ended")
    end = legacy_lifetime_end(partner.package, purchased_on.replace(day=1))
    if end is not None and end.value is not None:
        used.append(end)
        if purchased_on >= dt.date.fromisoformat(str(end.value)) and not still_managing:
            return False, used, "legacy_not_managing"
    return True, used, None


def same_commission_referral_or_resale(kind: str, kinds: Parameter) -> bool:
    """Referring the customer or reselling earns the same commission: `kind` changes nothing.

    FAQ "Minha comissão será diferente se eu indicar o cliente ou se eu mesmo fizer a venda?":
    "Não. Nós pagamos a mesma comissão independentemente se você apenas indicar o cliente para
    nós ou se tiver se envolvido no processo de vendas."
    """
    return kind in kinds.value


# --------------------------------------------------------------------------- reading the database


def load_partner(conn, partner_id: str) -> Partner:
    key = (partner_id or "").strip() if isinstance(partner_id, str) else ""
    row = conn.execute(select(partners.c.partner_id, partners.c.package, partners.c.joined_on)
                       .where(partners.c.partner_id == key)).first() if key else None
    if row is None:
        raise BadInput("unknown_partner", partner_id=str(partner_id)[:200])
    return Partner(row.partner_id, row.package, row.joined_on)


def load_own_registrations(conn, partner_id: str, domain: str) -> list:
    query = select(registrations.c.partner_id, registrations.c.domain, registrations.c.registered_on,
                   registrations.c.expires_on).where(registrations.c.partner_id == partner_id,
                                                     registrations.c.domain == domain)
    return [Registration(r.partner_id, r.domain, r.registered_on, r.expires_on) for r in conn.execute(query)]


def load_related_registrations(conn, partner_id: str, domain: str, purchased_on: dt.date) -> list:
    """The partner's registrations active on the purchase date on a different but related domain."""
    query = select(registrations.c.partner_id, registrations.c.domain, registrations.c.registered_on,
                   registrations.c.expires_on).where(registrations.c.partner_id == partner_id,
                                                     registrations.c.registered_on <= purchased_on,
                                                     registrations.c.expires_on > purchased_on)
    found = [Registration(r.partner_id, r.domain, r.registered_on, r.expires_on) for r in conn.execute(query)]
    return sorted((r for r in found if related_domains(domain, r.domain)), key=lambda r: r.domain)


def load_customer_history(conn, partner_id: str, domain: str, product: str, purchased_on: dt.date,
                          own_registrations: list) -> CustomerHistory:
    """The account's products before the purchase: from `subscriptions` (a row started before the
    purchase and not ended before it), else from the CRM's `accounts` row (customer with products
    other than the one bought). Subscriptions the partner sold — `sold_by`, or unattributed ones
    started while its registration was active — make it the partner's own customer."""
    rows = conn.execute(select(subscriptions.c.product, subscriptions.c.started_on, subscriptions.c.ended_on,
                               subscriptions.c.sold_by).where(subscriptions.c.domain == domain)).all()
    cat = catalogue()
    if rows:
        before = [r for r in rows if r.started_on < purchased_on and (r.ended_on is None or r.ended_on >= purchased_on)]
        if not before:
            return CustomerHistory("new", "subscriptions")

        def sold_by_partner(row) -> bool:
            if row.sold_by:
                return row.sold_by == partner_id
            return any(registration_active(r, row.started_on) for r in own_registrations)

        products = sorted({_known(r.product, cat) or r.product for r in before})
        if all(sold_by_partner(r) for r in before):
            first = min(r.started_on for r in rows if sold_by_partner(r))
            return CustomerHistory("own", "subscriptions", products, first_purchase=first)
        return CustomerHistory("existing", "subscriptions", products)
    account = conn.execute(select(accounts.c.customer, accounts.c.products).where(accounts.c.domain == domain)).first()
    if account is None or not account.customer:
        return CustomerHistory("new", "accounts" if account is not None else "none")
    listed = [p.strip() for p in (account.products or "").split(";") if p.strip()]
    codes = [_known(p, cat) for p in listed]
    others = sorted({c for c in codes if c and c != product})
    unknown = [p for p, c in zip(listed, codes) if c is None]
    if others or unknown:
        return CustomerHistory("existing", "accounts", others, unknown_products=unknown)
    return CustomerHistory("new", "accounts")


def still_manages(conn, partner_id: str, domain: str) -> bool:
    row = conn.execute(select(managed_accounts.c.domain).where(managed_accounts.c.partner_id == partner_id,
                                                              managed_accounts.c.domain == domain)).first()
    return row is not None


def _known(code: str, cat) -> Optional[str]:
    try:
        return resolve_product(code)
    except BadInput:
        return None


# --------------------------------------------------------------------------- the verdict


def _purchase_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise BadInput("bad_date", value=str(value)[:200]) from None


def parse_kind(kind, kinds: Optional[Parameter] = None) -> str:
    """`resale` or `referral` (any case), or BadInput('bad_kind')."""
    kinds = kinds or parameter(KINDS, dt.date.today())
    value = kind.strip().lower() if isinstance(kind, str) else ""
    if value not in kinds.value:
        raise BadInput("bad_kind", value=str(kind)[:200])
    return value


def _step(code: str, **values) -> Step:
    return Step.from_texts(NEXT_STEPS, code, **values)


def _reason(code: str, **values) -> Reason:
    """A reason in both languages; product codes (`product`, `products`) are shown by their names."""
    explanation = {}
    for lang in LANGUAGES:
        shown = dict(values)
        if "product" in shown:
            shown["product"] = display_name(shown["product"], lang)
        if "products" in shown:
            shown["products"] = ", ".join(display_name(p, lang) for p in shown["products"])
        explanation[lang] = text(REASONS, code, lang, **shown)
    return Reason(code=code, explanation=explanation)


@dataclass
class Findings:
    """What the rules found so far: failing reasons, reasons it earns, next steps, the trace."""

    values: dict
    trace: Trace = field(default_factory=Trace)
    failures: list = field(default_factory=list)
    grounds: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    collaboration: bool = False

    def fail(self, code: str, step: Optional[Step] = None, **values) -> None:
        self.failures.append(_reason(code, **{**self.values, **values}))
        if step is not None:
            self.steps.append(step)

    def earn(self, code: str, **values) -> None:
        self.grounds.append(_reason(code, **{**self.values, **values}))


def _judge_existing_customer(found: Findings, history: CustomerHistory, product: str, exception: Parameter) -> None:
    found.collaboration = existing_customer_exception(history, product, exception)
    found.trace.rule("existing_customer_exception", found.collaboration, exception, faq=FAQ_EXISTING_CUSTOMER)
    products_before = history.products + history.unknown_products
    if found.collaboration:
        found.earn("existing_sales_hub_customer_upgrade", products=products_before)
        found.steps += [_step("work_with_pdm"), _step("contact_partnerteam")]
    else:
        found.fail("existing_customer", _step("existing_customer_only_exception"), products=products_before)
    # An existing customer cannot be registered (the lead is unavailable): credit goes through the PDM.
    found.trace.rule("registered_before_purchase", "not_applicable: existing customer", faq=FAQ_CREDIT)
    found.trace.rule("purchase_on_registered_domain", "not_applicable: existing customer", faq=FAQ_OTHER_DOMAIN)


def _judge_own_customer(found: Findings, conn, partner: Partner, domain: str, history: CustomerHistory,
                        purchased_on: dt.date) -> None:
    managing = still_manages(conn, partner.partner_id, domain)
    earns, used, failing = own_customer_subsequent_purchase(partner, history, purchased_on, managing)
    first = history.first_purchase.isoformat()
    found.trace.rule("registered_before_purchase", "satisfied by the first sale credited to the partner", faq=FAQ_CREDIT)
    found.trace.entries[-1]["first_purchase"] = first
    found.trace.rule("own_customer_subsequent_purchase", earns, *used, faq=FAQ_EXISTING_CUSTOMER)
    found.trace.entries[-1]["still_managing"] = managing
    if earns:
        found.earn("own_customer_subsequent_purchase", first_purchase=first)
    else:
        found.fail(failing, _step("ask_varcommissions"), first_purchase=first, months=used[0].value,
                   end=used[-1].value if len(used) > 1 else "")


def _judge_new_customer(found: Findings, conn, partner: Partner, domain: str, own_registrations: list,
                        purchased_on: dt.date) -> None:
    status, registration = registered_before_purchase(own_registrations, purchased_on)
    related = [] if own_registrations else load_related_registrations(conn, partner.partner_id, domain, purchased_on)
    on_domain = purchase_on_registered_domain(own_registrations, related)
    dates = {}
    validity = []
    if registration:
        dates = {"registered_on": registration.registered_on.isoformat(), "expires_on": registration.expires_on.isoformat()}
        validity = [parameter("leads.registration_validity_months", registration.registered_on)]
    found.trace.rule("registered_before_purchase", status, *validity, faq=FAQ_CREDIT)
    found.trace.entries[-1].update(dates)
    found.trace.rule("purchase_on_registered_domain", on_domain, faq=FAQ_OTHER_DOMAIN)
    if related:
        found.trace.entries[-1]["registered_domains"] = [r.domain for r in related]
    if not on_domain:
        registered = ", ".join(display_domain(r.domain) for r in related)
        found.fail("purchase_on_different_domain", _step("buy_on_registered_domain", registered=registered),
                   registered=registered)
    elif status == "registered":
        found.earn("registered_before_purchase", **dates)
    else:
        found.fail(status, _step("register_before_introducing"), **dates)


def commission_eligibility(conn, partner_id: str, purchase_domain: str, product: str, purchased_on,
                           kind: str = "resale") -> Verdict:
    """Does `partner_id` earn commission on `product` bought on `purchased_on` on `purchase_domain`?

    Bad input (unknown partner, bad domain, unknown product, bad date, unknown kind) raises BadInput.
    """
    purchased_on = _purchase_date(purchased_on)
    try:
        domain = normalise_domain(purchase_domain)
    except InvalidDomain as exc:
        raise BadInput("bad_domain", target=str(purchase_domain)[:200], why=str(exc)) from None
    product = resolve_product(product)
    try:
        kinds = parameter(KINDS, purchased_on)
        exception = parameter(EXCEPTION, purchased_on)
    except ParameterError:
        raise BadInput("no_policy", month=purchased_on.isoformat()) from None
    kind = parse_kind(kind, kinds)
    partner = load_partner(conn, partner_id)

    shown = display_domain(domain)
    found = Findings(values={"domain": shown, "product": product, "purchased_on": purchased_on.isoformat(),
                             "joined_on": partner.joined_on.isoformat()})
    trace = found.trace

    # 1. Joined the program before the purchase
    joined = bought_after_joining(partner, purchased_on)
    trace.rule("bought_after_joining", joined, faq=FAQ_BEFORE_JOINING)
    trace.entries[-1].update(joined_on=partner.joined_on.isoformat(), purchased_on=purchased_on.isoformat())
    if not joined:
        found.fail("purchased_before_joining", _step("register_if_not_bought"))

    # 2. Who the customer was before the purchase decides which rules apply
    own_registrations = load_own_registrations(conn, partner.partner_id, domain)
    history = load_customer_history(conn, partner.partner_id, domain, product, purchased_on, own_registrations)
    trace.rule("existing_customer", existing_customer(history), faq=FAQ_EXISTING_CUSTOMER)
    trace.entries[-1].update(customer=history.status, source=history.source, products_before=history.products)
    if history.status == "existing":
        _judge_existing_customer(found, history, product, exception)
    elif history.status == "own":
        _judge_own_customer(found, conn, partner, domain, history, purchased_on)
    else:
        _judge_new_customer(found, conn, partner, domain, own_registrations, purchased_on)

    # 3. Referral or resale: the same commission
    same = same_commission_referral_or_resale(kind, kinds)
    trace.rule("same_commission_referral_or_resale", f"{kind}: same commission as {' or '.join(kinds.value)}",
               kinds, faq=FAQ_REFERRAL_VS_RESALE)

    steps = found.steps
    if found.failures:
        verdict, reasons = NOT_ELIGIBLE, found.failures
        if not any(s.code in ("contact_partnerteam", "register_if_not_bought") for s in steps):
            steps.append(_step("contact_partnerteam"))
    else:
        verdict, reasons = (THROUGH_COLLABORATION if found.collaboration else ELIGIBLE), found.grounds
        days = parameter("commission.payout.days_after_quarter_end", purchased_on)
        trace.rule("payout_date", f"quarterly, {days.value} days after the quarter closes", days, faq=FAQ_HOW_PAID)
        steps += [_step("file_tax_ach", days=days.value), _step("ask_varcommissions")]
    trace.rule("commission_eligibility", verdict)

    summary = {lang: text(REASONS, f"summary_{verdict}", lang, **{**found.values, "product": display_name(product, lang)})
               for lang in LANGUAGES}
    return Verdict(
        subject=domain,
        verdict=verdict,
        reasons=reasons,
        next_steps=list({s.code: s for s in steps}.values()),
        trace=trace,
        summary=summary,
        data={
            "partner_id": partner.partner_id,
            "package": partner.package,
            "domain": domain,
            "display_domain": shown,
            "product": product,
            "purchased_on": purchased_on.isoformat(),
            "kind": kind,
            "same_commission": same,
            "customer_before_purchase": history.status,
        },
    )
