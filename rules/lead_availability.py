"""Lead availability: can this partner register this lead (a domain) on this date, and if not, why.

Implements the FAQ's "Registro de lead" answers: a lead is `registered_by_you`, `available`,
or `unavailable` with every reason that applies (existing customer, active sales process,
owned by a HubSpot rep, owned by another partner). `check_lead` only reads the database;
registering is `rules.lead_registration.register_lead`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Optional

from dateutil.relativedelta import relativedelta
from sqlalchemy import bindparam, select

from rules.db.models import accounts, partners, registrations
from rules.domains import InvalidDomain, display_domain, normalise_domain
from rules.errors import BadInput
from rules.parameters import Parameter, ParameterError, parameter
from rules.result import LANGUAGES, Reason, Step, Trace, Verdict
from rules.texts import text

# The FAQ questions these rules implement, as written in the source FAQ.
FAQ_UNAVAILABLE = "Meu lead está marcado como indisponível. O que isso quer dizer?"
FAQ_BEST_PARTNER_WINS = "Como funciona a “Vitória do Melhor Parceiro”?"
FAQ_UNAVAILABLE_COMMISSION = "Se um lead está indisponível, isso significa que é impossível para eu receber comissão?"
FAQ_EXPIRED = "Como posso saber se um contato expirou?"
FAQ_REREGISTER = "Posso registrar novamente um contato expirado?"
FAQ_BEST_TIME = "Qual é o melhor momento para registrar um lead? Devo registrar um lead depois de configurar uma conta gratuita para ele?"
FAQ_CREDIT = "Como recebo crédito por indicar ou revender produtos da HubSpot?"
FAQ_OTHER_DOMAIN = "Meu cliente comprou um produto da HubSpot em um domínio diferente do que registrei. Ainda posso receber comissão?"
FAQ_EXISTING_CUSTOMER = "Posso ganhar comissão por um cliente existente da HubSpot para o qual não vendi?"

VALIDITY = "leads.registration_validity_months"

AVAILABLE = "available"
UNAVAILABLE = "unavailable"
REGISTERED_BY_YOU = "registered_by_you"
STATUSES = (AVAILABLE, UNAVAILABLE, REGISTERED_BY_YOU)

# In the FAQ's order ("Meu lead está marcado como indisponível…", reasons 1–4).
REASON_CODES = ("existing_customer", "active_sales_process", "hubspot_rep_owned", "other_partner_owned")

REASONS = "lead_reasons"
NEXT_STEPS = "lead_next_steps"
SUMMARY = "lead_summary"


@dataclass(frozen=True)
class Account:
    """A company in the CRM export (`accounts` table), keyed by its normalised domain."""

    domain: str
    company: str = ""
    customer: bool = False
    products: str = ""
    hubspot_owner: Optional[str] = None
    active_sales_process: bool = False


@dataclass(frozen=True)
class Registration:
    """One partner's registration of a domain, valid from `registered_on` until the day before `expires_on`."""

    partner_id: str
    domain: str
    registered_on: dt.date
    expires_on: dt.date


def first_effective(name: str) -> dt.date:
    """The effective date of a parameter's earliest value (the FAQ baseline)."""
    from rules.parameters import _load  # the dated values as read from the file

    return min(_load(name)["values"])


# --- rules ------------------------------------------------------------------------------------


def registration_validity(registered_on: dt.date) -> Parameter:
    """How many months a registration made on `registered_on` lasts.

    FAQ "Como posso saber se um contato expirou?": "Depois de um ano, a propriedade “Status do
    registro” mudará para “Expirado”." The number is the dated parameter
    `leads.registration_validity_months` in force on the day of the registration; a day before
    the policy's first recorded value (the FAQ baseline) takes that first value.
    """
    try:
        return parameter(VALIDITY, on=registered_on)
    except ParameterError:
        return parameter(VALIDITY, on=first_effective(VALIDITY))


def registration_expires_on(registered_on: dt.date) -> dt.date:
    """The first day a registration made on `registered_on` no longer counts (calendar months later).

    FAQ "Como posso saber se um contato expirou?": after one year the registration is
    "Expirado". Month arithmetic clamps to the month's end: 2024-02-29 + 12 months = 2025-02-28.
    """
    months = registration_validity(registered_on).value
    try:
        return registered_on + relativedelta(months=+int(months))
    except (OverflowError, ValueError):  # past year 9999
        raise BadInput("lead_date_out_of_range", value=registered_on.isoformat()) from None


def registration_active(registration: Registration, as_of: dt.date) -> bool:
    """A registration counts on `as_of` iff registered_on <= as_of < expires_on.

    FAQ "Posso registrar novamente um contato expirado?": "Sim. Depois que um contato expira…"
    — an expired registration (anyone's) no longer blocks the lead; one dated in the future
    does not count yet.
    """
    return registration.registered_on <= as_of < registration.expires_on


def registered_by_you(registrations_on_file: Iterable[Registration], partner_id: str, as_of: dt.date) -> Optional[Registration]:
    """The partner's own registration of the lead in force on `as_of` (the one lasting longest), if any.

    FAQ "Como recebo crédito por indicar ou revender produtos da HubSpot?": credit goes through
    the lead registration; a partner that holds it sees the lead as registered by them, which
    takes precedence over every unavailability reason.
    """
    own = [r for r in registrations_on_file if r.partner_id == partner_id and registration_active(r, as_of)]
    return max(own, key=lambda r: (r.expires_on, r.registered_on), default=None)


def existing_customer(account: Optional[Account]) -> bool:
    """FAQ "Meu lead está marcado como indisponível…", reason 1: "A conta é um cliente existente da HubSpot."

    Commission is then possible only for an existing Sales Hub customer upgrading to Marketing
    Professional or Enterprise, through partner collaboration with the Partner Development Manager.
    """
    return bool(account and account.customer)


def active_sales_process(account: Optional[Account]) -> bool:
    """FAQ "Meu lead está marcado como indisponível…", reason 2: "A conta está em um processo ativo de vendas com a HubSpot."

    "Você ainda poderá ganhar comissão ao trabalhar conosco (partnerteam@hubspot.com), mas não
    podemos garantir comissão nessa situação."
    """
    return bool(account and account.active_sales_process)


def hubspot_rep_owned(account: Optional[Account]) -> bool:
    """FAQ "Meu lead está marcado como indisponível…", reason 3: "A conta pertence a um representante da HubSpot, mas não está em um processo ativo de vendas."

    So it applies when the account has a HubSpot owner and no active sales process (with an
    active sales process, reason 2 applies instead).
    """
    return bool(account and (account.hubspot_owner or "").strip() and not account.active_sales_process)


def other_partner_owned(registrations_on_file: Iterable[Registration], partner_id: str, as_of: dt.date) -> list:
    """Other partners' registrations of the lead in force on `as_of` (longest-lasting first).

    FAQ "Meu lead está marcado como indisponível…", reason 4: "A conta pertence a outro
    parceiro." — and "Como funciona a “Vitória do Melhor Parceiro”?": the partner may still
    earn commission with proof of services and a purchase through HubSpot's payment link.
    """
    others = [r for r in registrations_on_file if r.partner_id != partner_id and registration_active(r, as_of)]
    return sorted(others, key=lambda r: (r.expires_on, r.registered_on, r.partner_id), reverse=True)


def lead_status(own: Optional[Registration], reason_codes: list) -> str:
    """`registered_by_you` when the partner holds the lead, else `unavailable` when any reason applies, else `available`.

    FAQ "Meu lead está marcado como indisponível…": a lead is unavailable for the reasons above;
    without any of them it can be registered ("Você deve registrar leads assim que souber deles").
    """
    if own is not None:
        return REGISTERED_BY_YOU
    return UNAVAILABLE if reason_codes else AVAILABLE


# --- reading the database ---------------------------------------------------------------------


def lead_domain(target: str) -> str:
    """The normalised domain of a TARGET (domain, URL or email), or BadInput('bad_domain')."""
    try:
        return normalise_domain(target)
    except InvalidDomain as exc:
        raise BadInput("bad_domain", target=str(target)[:200], why=str(exc)) from None


# Statements built once: a check is three indexed lookups, and building and keying a
# statement costs more than running it.
_PARTNER = select(partners.c.partner_id).where(partners.c.partner_id == bindparam("partner_id"))
_ACCOUNT = select(accounts).where(accounts.c.domain == bindparam("domain"))
_REGISTRATIONS = select(
    registrations.c.partner_id, registrations.c.domain, registrations.c.registered_on, registrations.c.expires_on
).where(
    registrations.c.domain == bindparam("domain"),
    registrations.c.expires_on > bindparam("as_of", type_=registrations.c.expires_on.type),
    registrations.c.registered_on <= bindparam("as_of", type_=registrations.c.registered_on.type),
)


def require_partner(conn, partner_id: str) -> str:
    """The partner's id when it is in the `partners` table, else BadInput('unknown_partner')."""
    partner = (partner_id or "").strip()
    found = partner and conn.execute(_PARTNER, {"partner_id": partner}).scalar()
    if not found:
        raise BadInput("unknown_partner", partner_id=str(partner_id)[:200])
    return found


def load_account(conn, domain: str) -> Optional[Account]:
    row = conn.execute(_ACCOUNT, {"domain": domain}).mappings().first()
    if row is None:
        return None
    return Account(
        domain=row["domain"],
        company=row["company"] or "",
        customer=bool(row["customer"]),
        products=row["products"] or "",
        hubspot_owner=row["hubspot_owner"] or None,
        active_sales_process=bool(row["active_sales_process"]),
    )


def load_registrations(conn, domain: str, as_of: dt.date) -> list:
    """Registrations of `domain` in force on `as_of` (served by ix_registrations_domain_expires)."""
    rows = conn.execute(_REGISTRATIONS, {"domain": domain, "as_of": as_of})
    return [Registration(r.partner_id, r.domain, r.registered_on, r.expires_on) for r in rows]


# --- the result -------------------------------------------------------------------------------


def format_date(day: Optional[dt.date], lang: str) -> str:
    """A date as people read it: 28/02/2025 in Portuguese, 2025-02-28 in English."""
    if day is None:
        return ""
    return day.strftime("%d/%m/%Y") if lang == "pt" else day.isoformat()


def _dated_step(code: str, **values) -> Step:
    """A next step whose `until`/`registered_on` dates are written in each language's way."""
    texts = {}
    for lang in LANGUAGES:
        filled = {k: (format_date(v, lang) if isinstance(v, dt.date) else v) for k, v in values.items()}
        texts[lang] = text(NEXT_STEPS, code, lang, **filled)
    return Step(code=code, text=texts)


def _join(parts: list, lang: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {text(SUMMARY, 'list_and', lang)} " + parts[-1]


# Keys of a trace entry that only staff may see (they name or date another partner's registration).
_STAFF_ONLY = "staff"


@dataclass
class LeadCheck(Verdict):
    """The answer to "can `partner_id` register `domain` on `as_of`?" (contract §2).

    `subject` is the domain and `verdict` the status; `as_dict(lang, staff)` is the JSON of
    `partnerbot lead check`. Chat adapters read `status`, `reason_codes`, `expires_on`,
    `domain` and `display_domain` directly.
    """

    target: str = ""
    partner_id: str = ""
    as_of: Optional[dt.date] = None
    expires_on: Optional[dt.date] = None  # the partner's own registration's, when registered_by_you
    account: Optional[Account] = None
    own_registration: Optional[Registration] = None
    owners: list = field(default_factory=list)  # other partners' registrations in force (staff only)

    @property
    def domain(self) -> str:
        return self.subject

    @property
    def display_domain(self) -> str:
        return display_domain(self.subject)

    @property
    def status(self) -> str:
        return self.verdict

    @property
    def reason_codes(self) -> list:
        return [r.code for r in self.reasons]

    @property
    def owner_partner_id(self) -> Optional[str]:
        """Who holds the lead when it is `other_partner_owned` (staff only; never show it to a partner)."""
        return self.owners[0].partner_id if self.owners else None

    def summary_text(self, lang: str = "en", staff: bool = False) -> str:
        """One sentence in `lang`; the partner's view never names another partner."""
        name = self.display_domain
        if self.status == REGISTERED_BY_YOU:
            return text(SUMMARY, REGISTERED_BY_YOU, lang, domain=name, until=format_date(self.expires_on, lang))
        if self.status == AVAILABLE:
            return text(SUMMARY, AVAILABLE, lang, domain=name)
        parts = []
        for code in self.reason_codes:
            if code == "other_partner_owned" and staff and self.owners:
                owners = ", ".join(dict.fromkeys(r.partner_id for r in self.owners))
                parts.append(text(SUMMARY, "reason_other_partner_owned_staff", lang, owners=owners,
                                  until=format_date(self.owners[0].expires_on, lang)))
            else:
                parts.append(text(SUMMARY, f"reason_{code}", lang))
        return text(SUMMARY, UNAVAILABLE, lang, domain=name, reasons=_join(parts, lang))

    def trace_list(self, staff: bool = False) -> list:
        out = []
        for entry in self.trace.as_list():
            entry = dict(entry)
            details = entry.pop(_STAFF_ONLY, None)
            if staff and details:
                entry.update(details)
            out.append(entry)
        return out

    def reason_dicts(self, lang: str = "en", staff: bool = False) -> list:
        out = []
        for reason in self.reasons:
            item = reason.as_dict(lang)
            if staff and reason.code == "other_partner_owned" and self.owners:
                item["owner_partner_id"] = self.owners[0].partner_id
                item["owner_expires_on"] = self.owners[0].expires_on.isoformat()
                if len(self.owners) > 1:
                    item["owner_partner_ids"] = list(dict.fromkeys(r.partner_id for r in self.owners))
            out.append(item)
        return out

    def as_dict(self, lang: str = "en", staff: bool = False) -> dict:
        """Contract §2's JSON plus `summary`, `trace` and `explanations`; `staff` adds the owner of the lead."""
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        return {
            "domain": self.domain,
            "status": self.status,
            "reasons": self.reason_dicts(lang, staff),
            "next_steps": [s.text[lang] for s in self.next_steps],
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "summary": self.summary_text(lang, staff),
            "trace": self.trace_list(staff),
            "explanations": {r.code: dict(r.explanation) for r in self.reasons},
        }


def next_steps_for(status: str, reason_codes: list, domain: str, as_of: dt.date, expires_on: Optional[dt.date]) -> list:
    """What the partner can do next, from the FAQ answers about each situation."""
    shown = display_domain(domain)
    if status == REGISTERED_BY_YOU:
        return [
            _dated_step("registered_until", until=expires_on),
            _dated_step("reregister_after_expiry", until=expires_on),
            _dated_step("purchase_on_registered_domain", domain=shown),
        ]
    if status == AVAILABLE:
        return [
            _dated_step("register_now", months=registration_validity(as_of).value, until=registration_expires_on(as_of)),
            _dated_step("register_before_mentioning_hubspot"),
            _dated_step("never_free_account_before_registering"),
        ]
    steps = []
    if "existing_customer" in reason_codes:
        steps.append(_dated_step("partner_collaboration_upgrade"))
    if "active_sales_process" in reason_codes:
        steps.append(_dated_step("work_with_partner_team"))
    if "hubspot_rep_owned" in reason_codes:
        steps += [_dated_step("notify_before_signup"), _dated_step("rep_payment_link")]
    if "other_partner_owned" in reason_codes:
        steps += [
            _dated_step("proof_of_services"),
            _dated_step("partner_payment_link"),
            _dated_step("contact_partner_team_best_partner_wins"),
        ]
    if not {"active_sales_process", "other_partner_owned"} & set(reason_codes):
        # Those two steps already send the partner to partnerteam@hubspot.com.
        steps.append(_dated_step("contact_partner_team"))
    return steps


def evaluate_lead(domain: str, partner_id: str, as_of: dt.date, account: Optional[Account],
                  registrations_on_file: list, target: str = "") -> LeadCheck:
    """Apply the lead rules to what the database holds about `domain` (pure: no database access)."""
    trace = Trace()
    trace.rule("normalise_domain", domain, faq=FAQ_OTHER_DOMAIN)
    trace.entries[-1]["target"] = target or domain

    own = registered_by_you(registrations_on_file, partner_id, as_of)
    trace.rule("registered_by_you", own is not None, *([registration_validity(own.registered_on)] if own else []), faq=FAQ_EXPIRED)
    if own:
        trace.entries[-1]["registered_on"] = own.registered_on.isoformat()
        trace.entries[-1]["expires_on"] = own.expires_on.isoformat()

    trace.rule("account_on_file", account is not None)
    reason_codes = []
    for rule in (existing_customer, active_sales_process, hubspot_rep_owned):
        applies = rule(account)
        trace.rule(rule.__name__, applies, faq=FAQ_UNAVAILABLE)
        if applies:
            reason_codes.append(rule.__name__)

    owners = other_partner_owned(registrations_on_file, partner_id, as_of)
    validity = list({(p.name, p.effective): p for p in map(registration_validity, (r.registered_on for r in owners))}.values())
    trace.rule("other_partner_owned", bool(owners), *validity, faq=FAQ_BEST_PARTNER_WINS)
    if owners:
        reason_codes.append("other_partner_owned")
        trace.entries[-1][_STAFF_ONLY] = {
            "owners": [
                {"partner_id": r.partner_id, "registered_on": r.registered_on.isoformat(), "expires_on": r.expires_on.isoformat()}
                for r in owners
            ]
        }

    status = lead_status(own, reason_codes)
    # The validity in force today is what a registration made now would last (the `register_now` step).
    trace.rule("lead_status", status, *([registration_validity(as_of)] if status == AVAILABLE else []), faq=FAQ_UNAVAILABLE)
    reasons = [] if status != UNAVAILABLE else [Reason.from_texts(REASONS, code) for code in reason_codes]
    expires_on = own.expires_on if own else None
    check = LeadCheck(
        subject=domain,
        verdict=status,
        reasons=reasons,
        next_steps=next_steps_for(status, reason_codes, domain, as_of, expires_on),
        trace=trace,
        target=target or domain,
        partner_id=partner_id,
        as_of=as_of,
        expires_on=expires_on,
        account=account,
        own_registration=own,
        owners=owners,
    )
    check.summary = {lang: check.summary_text(lang, staff=False) for lang in LANGUAGES}
    return check


def as_of_date(as_of) -> dt.date:
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    raise BadInput("bad_date", value=str(as_of))


def check_lead(conn, target: str, partner_id: str, as_of: dt.date) -> LeadCheck:
    """Can `partner_id` register the lead `target` (domain, URL or email) on `as_of`? Reads only.

    Raises BadInput('bad_domain') for a TARGET that is no domain and BadInput('unknown_partner')
    for a partner not in the database.
    """
    as_of = as_of_date(as_of)
    domain = lead_domain(target)
    partner = require_partner(conn, partner_id)
    return evaluate_lead(domain, partner, as_of, load_account(conn, domain), load_registrations(conn, domain, as_of), target=target)
