"""Turning what a person wrote about a customer's payments into a commission estimate request.

The NLU gives entities in the order they were written (bot/nlu/patterns.py): `money`
("50"), `number` ("400", an amount without a currency), `product` ("sales_hub_starter", or
"sales_hub" when no edition was said), `month` ("2019-01", or "--07" without a year),
`duration_months`, `package` and `partner_id`. `request_from_entities` pairs them:

- the first amount, with the product and the month written next to it, is the **line**:
  what the customer pays each month from the **start** month;
- each later amount with a month is a **change** from that month on, for the product named
  next to it, or the line's product when none is ("upgrading to US$400 in July"); a new
  edition of the line's hub ("upgrade to Sales Professional at 400 in July") replaces the old
  one — the rules engine's `one_edition_per_hub` does that;
- a later amount without a month but with another product is a second line;
- an edition word alone ("moved to Professional at 800") names that edition of the hub
  written before it.

Which entity goes with which amount is decided by position: in text order, each amount takes
the nearest product and month not taken by another amount (a monotone matching, so "in July,
US$400" and "US$400 in July" read the same). A month without a year ("--07") is resolved
against the start: the first such month on or after it. Pure Python (no Rasa): the actions
call it and the tests feed it the same entities.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

from rules.folding import fold
from rules.commission import estimate_commission, parse_month
from rules.errors import BadInput
from rules.parameters import parameter
from rules.products import catalogue, resolve_product

AMOUNT_ENTITIES = ("money", "number")
# A number followed by one of these words counts something else than dollars ("5 licenças").
NOT_AN_AMOUNT_AFTER = frozenset(
    "licença licenças licenca licencas seat seats user users usuário usuários usuario usuarios "
    "assento assentos contato contatos contact contacts pessoa pessoas people vendedor vendedores "
    "meses mês mes month months ano anos year years dia dias day days %".split()
)
# Edition aliases that are also everyday words ("pro" = "para o"; "inicial"): an edition only
# when the person was just asked for the edition, never inside a longer message.
AMBIGUOUS_EDITION_WORDS = frozenset({"pro", "prof", "ent", "inicial"})
MINUS_SIGNS = ("-", "\u2212", "\u2013")
_YEAR_LIKE = re.compile(r"^(19|20)\d\d$")
_FULL_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEARLESS_MONTH = re.compile(r"^--(\d{2})$")
_RAW_AMOUNT = re.compile(
    r"(?P<sign>[-\u2212\u2013]?)\s*(?:US\$|U\$|USD|\$)?\s*(?P<sign2>[-\u2212\u2013]?)\s*(?P<number>\d[\d.,]*)",
    re.IGNORECASE,
)


def today() -> dt.date:
    """The day year-less start months are resolved against (a function, so tests can fix it)."""
    return dt.date.today()


# --------------------------------------------------------------------------- what was understood


@dataclass
class ChangeRequest:
    """From `month` ("2019-07" or "--07") on, the customer pays `price` for `product`
    (None: the line's product)."""

    month: str
    price: str
    product: str | None = None

    def as_slot(self) -> dict:
        return {"month": self.month, "price": self.price, "product": self.product}

    @classmethod
    def from_slot(cls, value: dict) -> "ChangeRequest":
        return cls(month=value["month"], price=value["price"], product=value.get("product"))


@dataclass
class LineRequest:
    """Another product the customer pays each month from the start."""

    product: str
    price: str

    def as_slot(self) -> dict:
        return {"product": self.product, "price": self.price}

    @classmethod
    def from_slot(cls, value: dict) -> "LineRequest":
        return cls(product=value["product"], price=value["price"])


@dataclass
class EstimateRequest:
    """What a message (or a whole form) says about one customer's payments; None = not said."""

    package: str | None = None
    partner_id: str | None = None  # staff naming the partner the estimate is for
    start: str | None = None  # "2019-01", or "--01" until resolved
    product: str | None = None  # a catalogue code with its edition
    hub: str | None = None  # "sales_hub": a product named without its edition
    price: str | None = None  # "50"; "-50" stays negative so the rules engine refuses it
    extra_lines: list = field(default_factory=list)  # LineRequest
    changes: list = field(default_factory=list)  # ChangeRequest
    months: str | None = None

    def is_empty(self) -> bool:
        return not any((self.package, self.partner_id, self.start, self.product, self.hub, self.price,
                        self.extra_lines, self.changes, self.months))

    def missing(self) -> list:
        """What an estimate still needs, in the order a form asks for it (the package aside)."""
        needs = []
        if self.start is None:
            needs.append("start")
        if self.product is None:
            needs.append("edition" if self.hub else "product")
        if self.price is None:
            needs.append("price")
        return needs

    def line_texts(self) -> list:
        """`PRODUCT=USD` lines for the rules engine."""
        lines = [f"{self.product}={self.price}"] if self.product and self.price is not None else []
        return lines + [f"{line.product}={line.price}" for line in self.extra_lines]

    def change_texts(self) -> list:
        """`YYYY-MM:PRODUCT=USD` changes for the rules engine, year-less months resolved against the start."""
        start = parse_month(self.start)
        texts = []
        for change in self.changes:
            month = resolve_month(change.month, after=start)
            texts.append(f"{month}:{change.product or self.product}={change.price}")
        return texts

    def estimate(self, package: str | None = None, months=None):
        """The rules engine's estimate (CommissionEstimate); BadInput for anything it cannot estimate."""
        return estimate_commission(package or self.package, self.start, self.line_texts(), self.change_texts(),
                                   months if months is not None else self.months)


# --------------------------------------------------------------------------- months


def yearless_month(value: str) -> int | None:
    """The month of a month without a year ("--07" → 7); None for anything else; BadInput for "--13"."""
    yearless = _YEARLESS_MONTH.match(value or "")
    if not yearless:
        return None
    month = int(yearless.group(1))
    if not 1 <= month <= 12:
        raise BadInput("bad_month", value=value)
    return month


def resolve_month(value: str, after: dt.date) -> str:
    """"2019-07" as it is; "--07" as the first July on or after `after` (the start month)."""
    month = yearless_month(value)
    if month is None:
        return value
    year = after.year if month >= after.month else after.year + 1
    return f"{year:04d}-{month:02d}"


def resolve_start(value: str, previous: str | None = None, on: dt.date | None = None) -> str:
    """The start month: "2019-01" as it is; "--03" in the year of the start it corrects ("no,
    it started in March"), else the latest March up to this month (a deal being estimated has
    usually closed already; the answer shows the months counted, so a wrong year is seen)."""
    month = yearless_month(value)
    if month is None:
        return value
    if previous and _FULL_MONTH.match(previous):
        return f"{previous[:4]}-{month:02d}"
    now = on or today()
    year = now.year if month <= now.month else now.year - 1
    return f"{year:04d}-{month:02d}"


# --------------------------------------------------------------------------- products and editions


def _plain_words(text: str) -> list:
    plain = fold(text or "")
    return [(m.group(0), m.start(), m.end()) for m in re.finditer(r"[a-z0-9]+", plain)]


@lru_cache(maxsize=1)
def _edition_words() -> dict:
    """Every way the catalogue writes an edition ("pro", "profissional") -> edition code."""
    editions = parameter("products.catalogue", dt.date.today()).value["editions"]
    words = {}
    for code, entry in editions.items():
        for alias in [entry["name"], *entry.get("aliases", [])]:
            for word, _, _ in _plain_words(alias):
                words[word] = code
    return words


def hub_of(code: str | None) -> str | None:
    """"sales_hub_starter" -> "sales_hub"; "sales_hub" -> "sales_hub"; add-ons and unknown codes -> None."""
    if not code:
        return None
    match = re.match(r"^([a-z]+_hub)(?:_[a-z]+)?$", code)
    return match.group(1) if match else None


def with_edition(hub: str, edition: str) -> str | None:
    """The product of `hub` ("sales_hub", "cms_hub") in `edition` ("professional"), if the catalogue has it."""
    try:
        return resolve_product(f"{hub} {edition}")
    except BadInput:
        return None


def catalogue_code(code: str) -> str:
    """The catalogue's code for a product or hub the patterns named ("cms_hub_professional" ->
    "content_hub_professional", "cms_hub" -> "content_hub"); anything unknown as it is (the
    rules engine says it is unknown)."""
    if hub_of(code) == code:
        return hub_of(with_edition(code, "starter")) or code
    try:
        return resolve_product(code)
    except BadInput:
        return code


def hub_display(hub: str) -> str:
    """"sales_hub" -> "Sales Hub", as the catalogue names it."""
    code = with_edition(hub, "starter")
    return catalogue()[code].display("en").rsplit(" ", 1)[0] if code else hub


def edition_in(text: str, hub: str, ambiguous_too: bool = True) -> str | None:
    """The product `hub` + the first edition word of `text` ("o Professional" -> sales_hub_professional)."""
    for word, _, _ in _plain_words(text):
        if not ambiguous_too and word in AMBIGUOUS_EDITION_WORDS:
            continue
        edition = _edition_words().get(word)
        if edition:
            return with_edition(hub, edition)
    return None


def product_in(text: str) -> str | None:
    """A product written out in full that the entity patterns do not know ("Reporting add-on")."""
    cleaned = (text or "").strip().strip(".!?")
    if not cleaned or len(cleaned) > 100:
        return None
    try:
        return resolve_product(cleaned)
    except BadInput:
        return None


# --------------------------------------------------------------------------- amounts


@dataclass(frozen=True)
class Found:
    """One thing found in the message, with where it was written."""

    kind: str  # amount | product | edition | month | duration | package | partner_id
    value: str
    start: int
    end: int


def _position(entity: dict, index: int) -> tuple:
    start = entity.get("start")
    end = entity.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return index * 10, index * 10 + 1  # entities without offsets: in the order given
    return start, end


def signed_amount(entity: dict, text: str) -> str:
    """The entity's amount, with the minus sign the patterns leave out ("-US$ 50" -> "-50")."""
    value = str(entity.get("value"))
    start = entity.get("start")
    if isinstance(start, int) and text:
        before = text[max(0, start - 8):start]
        before = re.sub(r"(?i)(us\$|u\$|usd|\$|\s)+$", "", before)
        if before.endswith(MINUS_SIGNS):
            return "-" + value
    return value


def _counts_something_else(entity: dict, text: str) -> bool:
    """A bare number that is no price: followed by "seats"/"meses"…, or a year ("in 2019")."""
    if entity.get("entity") != "number":
        return False
    if _YEAR_LIKE.match(str(entity.get("value"))):
        return True
    end = entity.get("end")
    if isinstance(end, int) and text:
        following = _plain_words(text[end:end + 30])
        words = [w for w, _, _ in following[:1]] + [text[end:end + 2].strip()[:1]]
        if any(w in NOT_AN_AMOUNT_AFTER for w in words):
            return True
    return False


def raw_amount(text: str) -> str | None:
    """An amount typed without anything the patterns recognise ("-50", "US$ -50"), sign kept."""
    match = _RAW_AMOUNT.search(text or "")
    if not match:
        return None
    negative = bool(match.group("sign") or match.group("sign2"))
    from bot.nlu.patterns import parse_amount

    amount = parse_amount(match.group("number"))
    if amount is None:
        return None
    value = format(amount.normalize(), "f")
    return "-" + value if negative else value


def found_in(entities, text: str = "") -> list:
    """The message's entities as Found items in text order (edition words alone included)."""
    items = []
    for index, entity in enumerate(entities or []):
        name, value = entity.get("entity"), entity.get("value")
        if value in (None, ""):
            continue
        start, end = _position(entity, index)
        if name in AMOUNT_ENTITIES:
            if _counts_something_else(entity, text):
                continue
            items.append(Found("amount", signed_amount(entity, text), start, end))
        elif name == "product":
            items.append(Found("product", catalogue_code(str(value)), start, end))
        elif name == "month":
            items.append(Found("month", str(value), start, end))
        elif name == "duration_months":
            items.append(Found("duration", str(value), start, end))
        elif name in ("package", "partner_id"):
            items.append(Found(name, str(value), start, end))
    covered = [(i.start, i.end) for i in items if i.kind == "product"]
    if text and covered:
        first_product = min(s for s, _ in covered)
        for word, start, end in _plain_words(text):
            if start < first_product or word in AMBIGUOUS_EDITION_WORDS:
                continue
            if any(s <= start < e for s, e in covered):
                continue
            if word in _edition_words():
                items.append(Found("edition", _edition_words()[word], start, end))
    return sorted(items, key=lambda item: (item.start, item.kind))


# --------------------------------------------------------------------------- pairing


def _distance(item: Found, anchor: Found) -> int:
    if item.end <= anchor.start:
        return anchor.start - item.end
    if item.start >= anchor.end:
        return item.start - anchor.end
    return 0


def match_in_order(items: list, anchors: list) -> dict:
    """Give each anchor (an amount) at most one item, keeping text order and using as many items
    as possible, each as close to its anchor as possible: {anchor index: item}."""
    if not items or not anchors:
        return {}
    unused = 10 ** 6  # leaving an item out costs more than any distance
    n, m = len(items), len(anchors)
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        best[i][0] = i * unused
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best[i][j] = min(
                best[i][j - 1],  # anchor j gets nothing
                best[i - 1][j] + unused,  # item i is left out
                best[i - 1][j - 1] + _distance(items[i - 1], anchors[j - 1]),
            )
    pairs, i, j = {}, n, m
    while i > 0 and j > 0:
        if best[i][j] == best[i - 1][j - 1] + _distance(items[i - 1], anchors[j - 1]):
            pairs[j - 1] = items[i - 1]
            i, j = i - 1, j - 1
        elif best[i][j] == best[i][j - 1]:
            j -= 1
        else:
            i -= 1
    return pairs


def _products_in_order(items: list) -> list:
    """Products and lone edition words; an edition word names that edition of the hub written before it."""
    out, last_hub = [], None
    for item in items:
        if item.kind == "product":
            last_hub = hub_of(item.value) or last_hub
            out.append(item)
        elif item.kind == "edition" and last_hub:
            code = with_edition(last_hub, item.value)
            if code:
                out.append(Found("product", code, item.start, item.end))
    return out


def request_from_entities(entities, text: str = "") -> EstimateRequest:
    """Pair a message's entities into an EstimateRequest (see the module docstring)."""
    items = found_in(entities, text)
    request = EstimateRequest()
    partner_ids = [i for i in items if i.kind == "partner_id"]
    if partner_ids:
        request.partner_id = partner_ids[0].value
    for item in items:
        # "partner P-1001" names a partner, not the partner package.
        if item.kind == "package" and not any(0 <= p.start - item.end <= 2 for p in partner_ids):
            request.package = item.value
            break
    durations = [i for i in items if i.kind == "duration"]
    if durations:
        request.months = durations[0].value

    amounts = [i for i in items if i.kind == "amount"]
    products = _products_in_order(items)
    months = [i for i in items if i.kind == "month"]
    anchors = amounts or [Found("amount", "", products[0].start if products else 0, products[0].end if products else 0)]
    product_of = match_in_order(products, anchors)
    month_of = match_in_order(months, anchors)
    if months and 0 not in month_of and 0 in product_of:
        # Two products and one month: the month is when both start ("Sales Hub Starter at 50 and
        # Marketing Hub Starter at 40 from January 2019"), not a change of the second.
        holder = next(k for k, v in month_of.items() if v == months[0])
        if holder in product_of and product_of[holder].value != product_of[0].value:
            del month_of[holder]
            month_of[0] = months[0]

    groups = [(amounts[i].value if amounts else None,
               product_of[i].value if i in product_of else None,
               month_of[i].value if i in month_of else None) for i in range(len(anchors))]
    # The line is the payment with the earliest dated month ("in July they went to 400; Sales Hub
    # Starter at 50 from January 2019"): the others change it later.
    # A payment without a month stays the line (the form asks for the start).
    dated = [i for i, (_, _, month) in enumerate(groups) if month and _FULL_MONTH.match(month)]
    if groups[0][2] and dated:
        earliest = min(dated, key=lambda i: groups[i][2])
        if not _FULL_MONTH.match(groups[0][2]) or groups[earliest][2] < groups[0][2]:
            groups.insert(0, groups.pop(earliest))
    if groups[0][1] is None:
        # The product named is the customer's, wherever it was written.
        named = next((i for i, group in enumerate(groups) if group[1]), None)
        if named is not None:
            price, product, month = groups[named]
            groups[0] = (groups[0][0], product, groups[0][2])
            groups[named] = (price, None, month)

    price, line_product, start = groups[0]
    if line_product and hub_of(line_product) == line_product:
        request.hub = line_product
    else:
        request.product = line_product
    request.price, request.start = price, start

    for price, product, month in groups[1:]:
        if product and hub_of(product) == product:  # a hub without edition: the line's, if it is that hub
            if product not in (request.hub, hub_of(request.product)):
                continue
            product = None
        if month:
            request.changes.append(ChangeRequest(month=month, price=price,
                                                 product=product if product != request.product else None))
        elif product and product != request.product:
            request.extra_lines.append(LineRequest(product=product, price=price))
        # An amount with neither a month nor another product says nothing the estimate can use.
    return request
