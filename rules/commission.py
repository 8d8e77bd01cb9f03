"""Commission estimate: what a provider or partner earns on one customer's monthly payments, and when it is paid.

`estimate_commission(package, start, lines, changes, months)` walks the customer's months from
the deal close, applies the policy in force when the deal closed (rate, term, the legacy
lifetime plan's end), and pays it out by calendar quarter, 45 days after each quarter ends.
Every number comes from a dated parameter under `rules/parameters/commission/`; each step
below is a small named rule quoting the FAQ question it implements.

Money is `Decimal` throughout and rounded to cents only at the end: a payout is the rounded
commission earned through its quarter minus the rounded commission earned through the quarter
before, so the payouts always add up to the total to the cent.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

from rules.errors import BadInput
from rules.parameters import Parameter, ParameterError, parameter
from rules.products import catalogue, display_name, resolve_product
from rules.result import LANGUAGES, Reason, Trace
from rules.texts import text

PACKAGES = ("provider", "partner")
CURRENCY = "USD"
TEXTS = "commission"
MAX_TEXT = 300  # longest --line/--change we read; anything longer is a typing accident

FAQ_PROVIDER_AMOUNT = "Quanto ganho de comissão se eu indicar ou revender a HubSpot como fornecedor de soluções?"
FAQ_HOW_PAID = "Como recebo comissões de parceiro?"
FAQ_EXISTING_CUSTOMER = "Posso ganhar comissão por um cliente existente da HubSpot para o qual não vendi?"
FAQ_REFERRAL_VS_RESALE = "Minha comissão será diferente se eu indicar o cliente ou se eu mesmo fizer a venda?"

_MONTH = re.compile(r"^\s*([0-9]{4})-([0-9]{2})\s*$")
_PRICE = re.compile(
    r"^(?P<sign>[-\u2212+]?)\s*(?:US\$|USD|\$)?\s*(?P<number>[0-9]{1,12}(?:[.,][0-9]{1,2})?)\s*(?:USD|US\$|\$)?$",
    re.IGNORECASE,
)
_WHOLE = re.compile(r"^\s*[0-9]{1,12}\s*$")


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class Line:
    """What the customer pays each month for one product, from the start month."""

    product: str
    monthly_usd: Decimal

    def __str__(self) -> str:
        return f"{self.product}={self.monthly_usd}"


@dataclass(frozen=True)
class Change:
    """From `month` on, the customer pays `monthly_usd` for `product` (an upgrade, a downgrade, `0` cancels)."""

    month: dt.date  # first day of the month
    product: str
    monthly_usd: Decimal

    def __str__(self) -> str:
        return f"{month_label(self.month)}:{self.product}={self.monthly_usd}"


def parse_month(value) -> dt.date:
    """`YYYY-MM` (or a date) as the first day of that month, or BadInput('bad_month')."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    match = _MONTH.match(value) if isinstance(value, str) and len(value) <= MAX_TEXT else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise BadInput("bad_month", value=str(value)[:MAX_TEXT])
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def parse_price(value, product: str = "") -> Decimal:
    """A monthly price in US dollars ("50", "49.99", "US$ 50", "400,00") as Decimal, or BadInput.

    At most two decimals (cents): "2.700" could be 2.7 or 2700, so it is refused, not guessed."""
    if isinstance(value, bool):
        raw = str(value)
    elif isinstance(value, Decimal):
        raw = format(value, "f") if value.is_finite() else str(value)
    elif isinstance(value, (int, float)):
        raw = repr(value)
    elif isinstance(value, str):
        raw = value.strip()
    else:
        raw = type(value).__name__
    match = _PRICE.match(raw) if len(raw) <= MAX_TEXT else None
    if not match or isinstance(value, bool):
        raise BadInput("bad_price", value=raw[:MAX_TEXT], product=product)
    amount = Decimal(match.group("number").replace(",", "."))
    if match.group("sign") in ("-", "\u2212") and amount != 0:
        raise BadInput("negative_price", value=raw, product=product)
    limit = parameter("commission.estimate.max_monthly_usd", dt.date.today())
    if amount > Decimal(str(limit.value)):
        raise BadInput("price_too_high", value=raw, product=product, max=limit.value)
    return amount


def _split_product_price(body: str, original: str, code: str) -> tuple[str, Decimal]:
    if body.count("=") != 1:
        raise BadInput(code, value=original)
    name, price = (part.strip() for part in body.split("="))
    if not name or not price:
        raise BadInput(code, value=original)
    product = resolve_product(name)
    return product, parse_price(price, product)


def parse_line(value) -> Line:
    """`PRODUCT=MONTHLY_USD` ("sales_hub_starter=50", "Sales Hub Pro = 400") as a Line, or BadInput."""
    if isinstance(value, Line):
        return value
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise BadInput("bad_line", value=str(value)[:MAX_TEXT])
    product, price = _split_product_price(value, value.strip(), "bad_line")
    return Line(product, price)


def parse_change(value) -> Change:
    """`YYYY-MM:PRODUCT=MONTHLY_USD` ("2019-07:sales_hub_professional=400") as a Change, or BadInput."""
    if isinstance(value, Change):
        return value
    if not isinstance(value, str) or len(value) > MAX_TEXT or ":" not in value:
        raise BadInput("bad_change", value=str(value)[:MAX_TEXT])
    month_text, body = value.split(":", 1)
    month = parse_month(month_text)
    product, price = _split_product_price(body, value.strip(), "bad_change")
    return Change(month, product, price)


def parse_months(value) -> int | None:
    """`--months`: a whole number from 1 to the longest horizon accepted, or None when not given."""
    if value is None:
        return None
    limit = parameter("commission.estimate.max_months", dt.date.today()).value
    if isinstance(value, bool):
        raise BadInput("bad_months", value=str(value), max=limit)
    if isinstance(value, int):
        months = value
    elif isinstance(value, str) and _WHOLE.match(value):
        months = int(value.strip())
    else:
        raise BadInput("bad_months", value=str(value)[:MAX_TEXT], max=limit)
    if not 1 <= months <= limit:
        raise BadInput("bad_months", value=str(value), max=limit)
    return months


def parse_package(value) -> str:
    package = value.strip().lower() if isinstance(value, str) else ""
    if package not in PACKAGES:
        raise BadInput("unknown_package", value=str(value)[:MAX_TEXT])
    return package


# --------------------------------------------------------------------------- calendar


def month_label(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, until: dt.date) -> int:
    """How many months from `first` (included) to `until` (excluded)."""
    return (until.year - first.year) * 12 + until.month - first.month


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter, e.g. 2019-Q1 = 2019-01 … 2019-03."""

    year: int
    number: int

    @classmethod
    def of(cls, day: dt.date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def last_day(self) -> dt.date:
        return add_months(dt.date(self.year, 3 * self.number, 1), 1) - dt.timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


# --------------------------------------------------------------------------- rules


def commission_rate(package: str, closed_on: dt.date) -> Parameter:
    """The share of what the customer pays that the partner earns, in force when the deal closed.

    FAQ "Quanto ganho de comissão se eu indicar ou revender a HubSpot como fornecedor de
    soluções?": "20% do total mensal pago para todos os tipos de produtos … e complementos".
    Partners: 20% of net revenue (solutions-program-policies). Same rate for a referral or a
    resale (FAQ "Minha comissão será diferente…?": "Não.").
    """
    return parameter(f"commission.{package}.rate", closed_on)


def commission_term(package: str, closed_on: dt.date) -> Parameter:
    """How many months count from the deal close; None = for as long as the customer stays.

    Providers: "pelos primeiros 12 meses completos de permanência do cliente na HubSpot" (FAQ
    "Quanto ganho de comissão…"). Partners: "pelo tempo em que o cliente permanecer um cliente
    da HubSpot" (FAQ "Posso ganhar comissão por um cliente existente…"), and 36 months for deals
    closed on or after 2023-04-01 (legacy-commission-plan page).
    """
    return parameter(f"commission.{package}.term_months", closed_on)


def legacy_lifetime_end(package: str, month: dt.date) -> Parameter | None:
    """For a lifetime (legacy) deal: from which day its revenue earns only while the partner still
    manages the customer (2025-04-01 for partner deals closed before 2023-04-01); None when the
    package has no such limit.
    """
    try:
        return parameter(f"commission.{package}.legacy_lifetime_end", month)
    except ParameterError:
        return None


def legacy_month_earns(package: str, month: dt.date, still_managing: bool) -> tuple[bool, Parameter | None]:
    """Does this month of a lifetime deal earn? Always before the legacy end; after it only while
    the partner still manages the customer."""
    end = legacy_lifetime_end(package, month)
    if end is None or end.value is None:
        return True, end
    return (month < _as_date(end.value) or still_managing), end


def one_edition_per_hub(prices: dict, product: str, month: dt.date, replaced: list) -> None:
    """A portal has one edition of each hub at a time: a price for one edition from `month` on
    replaces the other editions of the same hub (an upgrade or a downgrade). FAQ example: "Se o
    cliente fizer upgrade para o Sales Professional (US$ 400/mês) em julho de 2019, sua comissão
    será US$ 540 (20% de US$ 2.700)" — Starter stops when Professional starts."""
    from rules.products import same_hub_other_editions

    for other in same_hub_other_editions(product, month):
        if prices.get(other, Decimal(0)) > 0:
            replaced.append((month, other, product))
            prices[other] = Decimal(0)


def payout_quarter(month: dt.date) -> Quarter:
    """The quarter whose payout includes this month's commission (FAQ "Como recebo comissões de
    parceiro?": "As comissões são pagas trimestralmente")."""
    return Quarter.of(month)


def payout_date(quarter: Quarter) -> tuple[dt.date, Parameter]:
    """When a quarter's commission is paid: "45 dias após o encerramento do trimestre" (FAQ "Como
    recebo comissões de parceiro?"). 2019-Q1 → 2019-05-15; 2024-Q4 → 2025-02-14."""
    days = parameter("commission.payout.days_after_quarter_end", quarter.last_day)
    return quarter.last_day + dt.timedelta(days=int(days.value)), days


def round_money(amount: Decimal, rounding: Parameter) -> Decimal:
    """Round to the currency's quantum (cents), half up — only ever on cumulative amounts."""
    mode = {"ROUND_HALF_UP": ROUND_HALF_UP}[rounding.value["mode"]]
    return amount.quantize(Decimal(rounding.value["quantum"]), rounding=mode)


# --------------------------------------------------------------------------- result


@dataclass
class Payout:
    quarter: Quarter
    amount: Decimal
    paid_on: dt.date
    revenue: Decimal
    months: list

    def as_dict(self) -> dict:
        return {
            "quarter": str(self.quarter),
            "amount": float(self.amount),
            "paid_on": self.paid_on.isoformat(),
            "revenue": float(self.revenue),
            "months": [month_label(m) for m in self.months],
        }


@dataclass
class CommissionEstimate:
    """An estimate's figures, the policy applied, notes in both languages and the trace."""

    package: str
    start: dt.date
    rate: Decimal
    months: int  # the horizon
    months_counted: int
    revenue: Decimal
    total: Decimal
    payouts: list
    policy: dict  # {"pt": ..., "en": ...}
    policy_version: str
    parameters: list
    term: dict
    monthly: list  # [(month, paid)]
    notes: list = field(default_factory=list)  # Reason
    trace: Trace = field(default_factory=Trace)
    still_managing: bool = False

    @property
    def last_month(self) -> dt.date | None:
        return add_months(self.start, self.months - 1) if self.months else None

    def summary(self, lang: str = "en") -> str:
        package_name = text(TEXTS, f"package_{self.package}", lang)
        if not self.payouts:
            return text(TEXTS, "summary_nothing", lang, package_name=package_name,
                        first=month_label(self.start), last=month_label(self.last_month or self.start))
        return text(
            TEXTS, "summary", lang,
            package_name=package_name,
            total=format_usd(self.total, lang),
            rate=format_rate(self.rate, lang),
            revenue=format_usd(self.revenue, lang),
            months_counted=self.months_counted,
            first=month_label(self.start),
            last=month_label(self.last_month),
            payouts=len(self.payouts),
            first_paid_on=self.payouts[0].paid_on.isoformat(),
        )

    def as_dict(self, lang: str = "en") -> dict:
        lang = lang if lang in LANGUAGES else "en"
        return {
            "package": self.package,
            "rate": float(self.rate),
            "months_counted": self.months_counted,
            "revenue_counted": float(self.revenue),
            "total": float(self.total),
            "currency": CURRENCY,
            "payouts": [p.as_dict() for p in self.payouts],
            "policy": self.policy[lang],
            "policy_version": self.policy_version,
            "start": month_label(self.start),
            "horizon": {
                "months": self.months,
                "first_month": month_label(self.start),
                "last_month": month_label(self.last_month) if self.last_month else None,
            },
            "term": dict(self.term),
            "still_managing": self.still_managing,
            "summary": self.summary(lang),
            "notes": [{"code": n.code, "text": n.explanation[lang]} for n in self.notes],
            "explanations": {n.code: dict(n.explanation) for n in self.notes},
            "monthly": [{"month": month_label(m), "paid": float(p)} for m, p in self.monthly],
            "parameters": [p.trace() for p in self.parameters],
            "trace": self.trace.as_list(),
        }


def format_usd(amount: Decimal, lang: str) -> str:
    """US$ 2,700.00 (en) / US$ 2.700,00 (pt)."""
    plain = f"{amount:,.2f}"
    if lang == "pt":
        plain = plain.replace(",", "§").replace(".", ",").replace("§", ".")
    return f"US$ {plain}"


def format_rate(rate: Decimal, lang: str) -> str:
    percent = (rate * 100).normalize()
    shown = f"{percent:f}"
    return f"{shown.replace('.', ',') if lang == 'pt' else shown}%"


def _shown(value) -> str:
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values())
    if value is None:
        return "none"
    return str(value)


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _note(code: str, **values) -> Reason:
    return Reason.from_texts(TEXTS, code, **values)


# --------------------------------------------------------------------------- estimate


@dataclass
class Term:
    """How long a deal earns: `months` from the close (None: no end), with the parameters and notes behind it."""

    months: int | None
    kind: str  # months | lifetime | legacy_lifetime
    term: Parameter
    legacy_end: Parameter | None = None
    earns_until: dt.date | None = None  # last month a legacy deal earns without --still-managing
    notes: list = field(default_factory=list)

    def info(self) -> dict:
        out = {"months": self.term.value, "kind": self.kind}
        if self.legacy_end is not None:
            out["legacy_end"] = str(self.legacy_end.value)
        if self.earns_until is not None:
            out["earns_until"] = month_label(self.earns_until)
        return out


def deal_term(package: str, closed_on: dt.date, rate: Decimal, still_managing: bool, trace: Trace) -> Term:
    """The term of a deal closed on `closed_on`: the policy's months, or the customer's lifetime —
    which for legacy deals stops at the legacy end unless the partner still manages the customer."""
    term_p = commission_term(package, closed_on)
    if term_p.value is not None:
        term = Term(int(term_p.value), "months", term_p)
        term.notes.append(_note(f"term_{package}", months=term.months, close=closed_on.isoformat(),
                                rate=format_rate(rate, "en"), since=term_p.effective.isoformat()))
        trace.rule("commission_term", {"months": term.months, "deal_closed_on": closed_on.isoformat()}, term_p,
                   faq=FAQ_PROVIDER_AMOUNT if package == "provider" else FAQ_EXISTING_CUSTOMER)
        return term
    term = Term(None, "lifetime", term_p)
    limit = parameter("commission.estimate.max_months", dt.date.today()).value
    cutoff = None
    for index in range(limit + 1):
        try:
            month = add_months(closed_on, index)
        except ValueError:  # past the calendar: the horizon check reports it
            break
        earns, end_p = legacy_month_earns(package, month, still_managing)
        if end_p is not None and end_p.value is not None:
            term.legacy_end, term.kind = end_p, "legacy_lifetime"
        if not earns:
            cutoff = month
            break
    close = closed_on.isoformat()
    if cutoff is not None:
        term.months = months_between(closed_on, cutoff)
        term.earns_until = add_months(cutoff, -1)
        term.notes.append(_note("term_legacy_cutoff", close=close, end=str(term.legacy_end.value),
                                last=month_label(term.earns_until)))
    elif term.legacy_end is not None:
        term.notes.append(_note("term_legacy_still_managing", close=close, end=str(term.legacy_end.value)))
    else:
        term.notes.append(_note("term_lifetime", close=close))
    trace.rule("commission_term", {"months": None, "deal_closed_on": close, "still_managing": still_managing,
                                   "earns_until": term.info().get("earns_until")},
               term_p, *([term.legacy_end] if term.legacy_end else []), faq=FAQ_EXISTING_CUSTOMER)
    return term


def estimate_horizon(term: Term, months: int | None, start: dt.date, package: str, trace: Trace) -> tuple[int, list]:
    """How many months the estimate counts: `--months`, never beyond the term; the term itself when
    `--months` is not given — required when the term is the customer's lifetime (contract §3)."""
    notes = []
    if term.term.value is None and months is None:
        # How long the customer stays is the estimate's question, never the policy's answer.
        if term.legacy_end is not None:
            raise BadInput("months_required_legacy", package=package, start=month_label(start),
                           end=str(term.legacy_end.value))
        raise BadInput("months_required", package=package, start=month_label(start))
    if months is None:
        horizon = term.months
    elif term.months is not None and months > term.months:
        horizon = term.months
        if term.term.value is not None:
            notes.append(_note("months_capped", asked=months, months=term.months))
        else:
            notes.append(_note("months_capped_legacy", asked=months, months=term.months, end=str(term.legacy_end.value)))
    else:
        horizon = months
    try:
        add_months(start, horizon)
    except ValueError:
        raise BadInput("horizon_out_of_range", start=month_label(start), months=horizon) from None
    trace.rule("estimate_horizon", {"months": horizon, "asked": months, "term_months": term.months})
    return horizon, notes


def monthly_payments(start: dt.date, horizon: int, lines: list, changes: list, trace: Trace) -> tuple[list, list]:
    """What the customer pays in each month of the horizon: the lines from `start`, each change from
    its month on (one edition per hub). Notes a churn (nothing paid any more), a return, changes
    after the horizon."""
    prices: dict[str, Decimal] = {line.product: line.monthly_usd for line in lines}
    _check_one_edition(prices, start)
    by_month: dict[dt.date, list[Change]] = {}
    for change in changes:
        by_month.setdefault(change.month, []).append(change)
    notes, replaced, monthly = [], [], []
    last = add_months(start, horizon - 1) if horizon else start
    for change in changes:
        if not horizon or change.month > last:
            notes.append(_note("change_after_horizon", change=str(change), last=month_label(last)))
    churned_on = returned_on = None
    had_paid = False
    for index in range(horizon):
        month = add_months(start, index)
        if month in by_month:
            _apply_changes(prices, by_month[month], month, replaced)
        paid = sum(prices.values(), Decimal(0))
        monthly.append((month, paid))
        if paid > 0:
            if churned_on is not None and returned_on is None:
                returned_on = month
            had_paid = True
        elif had_paid and churned_on is None:
            churned_on = month
    for month, old, new in replaced:
        notes.append(Reason(code="edition_replaced", explanation={
            lang: text(TEXTS, "edition_replaced", lang, month=month_label(month),
                       old=display_name(old, lang), new=display_name(new, lang)) for lang in LANGUAGES}))
    if churned_on is not None:
        notes.append(_note("customer_churned", month=month_label(churned_on)))
    if returned_on is not None:
        notes.append(_note("customer_returned", month=month_label(returned_on)))
    if not any(paid > 0 for _, paid in monthly):
        notes.append(_note("nothing_paid"))
    trace.rule("monthly_payments", {"months": horizon, "replaced_editions": [
        {"month": month_label(m), "old": o, "new": n} for m, o, n in replaced]})
    return monthly, notes


def quarterly_payouts(monthly: list, rate: Decimal, rounding: Parameter) -> tuple[list, Decimal, list]:
    """One payout per quarter with paid months: the commission earned through the quarter, rounded,
    minus what the quarters before paid — so the payouts add up to the total to the cent (FAQ
    "Como recebo comissões de parceiro?"). Answers (payouts, total, payout-date parameters)."""
    quarters: dict[Quarter, list] = {}
    for month, paid in monthly:
        quarters.setdefault(payout_quarter(month), []).append((month, paid))
    payouts, used = [], []
    cumulative = paid_so_far = Decimal(0)
    for quarter, entries in quarters.items():
        quarter_revenue = sum((paid for _, paid in entries), Decimal(0))
        cumulative += quarter_revenue
        earned = round_money(rate * cumulative, rounding)
        amount, paid_so_far = earned - paid_so_far, earned
        if not any(paid > 0 for _, paid in entries):
            continue
        paid_on, days_p = payout_date(quarter)
        if days_p not in used:
            used.append(days_p)
        payouts.append(Payout(quarter, amount, paid_on, quarter_revenue, [m for m, paid in entries if paid > 0]))
    total = round_money(rate * cumulative, rounding)
    if paid_so_far != total:  # cannot happen: the last cumulative rounding is the total
        raise ArithmeticError("payouts do not add up to the total")
    return payouts, total, used


def estimate_commission(
    package: str,
    start,
    lines: Iterable,
    changes: Iterable = (),
    months=None,
    still_managing: bool = False,
) -> CommissionEstimate:
    """Estimate the commission on one customer: `lines` are what they pay each month from `start`
    (`Line` or "PRODUCT=USD"), `changes` replace a product's price from a month on (`Change` or
    "YYYY-MM:PRODUCT=USD"), `months` limits the horizon (required where the term has no end).
    `still_managing`: the partner still manages a legacy lifetime customer after the legacy end.
    Raises BadInput for anything it cannot estimate.
    """
    package = parse_package(package)
    start = parse_month(start)
    lines = [parse_line(item) for item in (lines or [])]
    changes = [parse_change(item) for item in (changes or [])]
    months = parse_months(months)
    if not lines and not changes:
        raise BadInput("no_lines")
    _check_duplicates(lines, changes)
    for change in changes:
        if change.month < start:
            raise BadInput("change_before_start", value=str(change), start=month_label(start))

    closed_on = start  # the deal closes in the first month the customer pays
    trace = Trace()
    try:
        rate_p = commission_rate(package, closed_on)
        frequency_p = parameter("commission.payout.frequency", closed_on)
        rounding_p = parameter("commission.rounding", closed_on)
        kinds_p = parameter("commission.same_commission_for", closed_on)
        commission_term(package, closed_on)
    except ParameterError:
        raise BadInput("no_policy", month=month_label(start)) from None
    if frequency_p.value != "quarterly":  # payout_quarter and payout_date know calendar quarters only
        raise ParameterError(f"unsupported payout frequency {frequency_p.value!r}")
    rate = Decimal(str(rate_p.value))
    trace.rule("commission_rate", float(rate), rate_p, faq=FAQ_PROVIDER_AMOUNT)

    term = deal_term(package, closed_on, rate, still_managing, trace)
    notes = list(term.notes)
    if still_managing and term.legacy_end is None:
        notes.append(_note("still_managing_ignored"))
    horizon, horizon_notes = estimate_horizon(term, months, start, package, trace)
    monthly, month_notes = monthly_payments(start, horizon, lines, changes, trace)
    notes += horizon_notes + month_notes

    payouts, total, days_params = quarterly_payouts(monthly, rate, rounding_p)
    if not days_params:
        days_params = [parameter("commission.payout.days_after_quarter_end", closed_on)]
    revenue = sum((paid for _, paid in monthly), Decimal(0))
    trace.rule("payout_date", [{"quarter": str(p.quarter), "paid_on": p.paid_on.isoformat()} for p in payouts],
               frequency_p, *days_params, faq=FAQ_HOW_PAID)
    trace.rule("round_money", {"total": str(total), "revenue": str(revenue)}, rounding_p)
    trace.rule("same_commission_referral_or_resale", "referral and resale earn the same", kinds_p,
               faq=FAQ_REFERRAL_VS_RESALE)
    notes.append(_note("payout_paperwork", days=days_params[0].value))

    parameters = [rate_p, term.term, *([term.legacy_end] if term.legacy_end else []),
                  frequency_p, *days_params, rounding_p]
    version = f"{package}-{max(p.effective for p in parameters).isoformat()}"
    policy = {
        lang: text(
            TEXTS, "policy", lang,
            package_name=text(TEXTS, f"package_{package}", lang),
            version=version,
            close=closed_on.isoformat(),
            rate=format_rate(rate, lang),
            term=_term_text(lang, term.term, term.legacy_end, still_managing),
            days=days_params[0].value,
            parameters="; ".join(f"{p.name}={_shown(p.value)} ({p.effective.isoformat()})" for p in parameters),
        )
        for lang in LANGUAGES
    }
    term_info = term.info()
    term_info["horizon_from"] = "term" if months is None or horizon != months else "months"
    return CommissionEstimate(
        package=package, start=start, rate=rate, months=horizon,
        months_counted=sum(1 for _, paid in monthly if paid > 0),
        revenue=revenue, total=total, payouts=payouts, policy=policy, policy_version=version,
        parameters=parameters, term=term_info, monthly=monthly, notes=notes, trace=trace,
        still_managing=still_managing,
    )


def _term_text(lang: str, term_p: Parameter, legacy_end_p: Parameter | None, still_managing: bool) -> str:
    if term_p.value is not None:
        return text(TEXTS, "policy_term_months", lang, months=term_p.value)
    if legacy_end_p is None:
        return text(TEXTS, "policy_term_lifetime", lang)
    code = "policy_term_legacy_managing" if still_managing else "policy_term_legacy"
    return text(TEXTS, code, lang, end=legacy_end_p.value)


def _check_duplicates(lines: Sequence[Line], changes: Sequence[Change]) -> None:
    seen = set()
    for line in lines:
        if line.product in seen:
            raise BadInput("duplicate_line", product=line.product)
        seen.add(line.product)
    seen = set()
    for change in changes:
        if (change.month, change.product) in seen:
            raise BadInput("duplicate_change", product=change.product, month=month_label(change.month))
        seen.add((change.month, change.product))


def _check_one_edition(prices: dict, month: dt.date, only: Iterable[str] | None = None) -> None:
    """Two editions of one hub paid at once cannot be: say which (see one_edition_per_hub)."""
    cat = catalogue(month)
    paying = {}
    for code in (only if only is not None else prices):
        item = cat[code]
        if item.is_addon or prices.get(code, Decimal(0)) <= 0:
            continue
        if item.hub in paying:
            raise BadInput("two_editions", first=paying[item.hub], second=code, hub=cat[code].display("en").rsplit(" ", 1)[0],
                           month=month_label(month))
        paying[item.hub] = code


def _apply_changes(prices: dict, changes: list, month: dt.date, replaced: list) -> None:
    # Cancellations first, so "starter=0" and "professional=400" in one month read as an upgrade.
    for change in sorted(changes, key=lambda c: c.monthly_usd > 0):
        prices[change.product] = change.monthly_usd
    _check_one_edition(prices, month, only=[c.product for c in changes])
    for change in changes:
        if change.monthly_usd > 0:
            one_edition_per_hub(prices, change.product, month, replaced)
