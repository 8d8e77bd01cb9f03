"""Commission estimates in the conversation: thin adapters between the chat and rules/commission.py.

- `validate_commission_form` reads each message (bot/commission_request.py pairs its entities
  into an estimate request), checks every value with the rules engine's own parsers, takes a
  signed-in partner's package from the partners table, and asks only for what is missing —
  the number of months only when the policy's term has no end.
- `action_ask_commission_product` / `action_ask_commission_price` ask for the edition of a
  hub named without one, and for the price of the product named.
- `action_estimate_commission` answers: the estimate, the payout schedule, the notes and the
  policy applied, numbers written the way the person's language writes them.

Every word said is a response of bot/domain/commission.yml or a text of the rules engine.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction

from actions.context import domain_responses, identity_of, language_of, latest_intent
from actions.context import response_text as context_response_text
from bot import commission_request as cr
from bot.commission_request import ChangeRequest, EstimateRequest, LineRequest
from rules.commission import commission_rate, parse_month, parse_months, parse_package, parse_price
from rules.errors import BadInput
from rules.parameters import ParameterError
from rules.products import display_name, resolve_product
from rules.texts import text as rules_text

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
RESPONSES_FILE = ROOT / "bot" / "domain" / "commission.yml"

FORM = "commission_form"
PACKAGE, START, PRODUCT, PRICE, MONTHS = (
    "commission_package", "commission_start", "commission_product", "commission_price", "commission_months")
HUB, CHANGES, EXTRA_LINES = "commission_hub", "commission_changes", "commission_extra_lines"
ALL_SLOTS = (PACKAGE, START, PRODUCT, PRICE, MONTHS, HUB, CHANGES, EXTRA_LINES)
FIELD_OF_SLOT = {PACKAGE: "package", START: "start", PRODUCT: "product", PRICE: "price", MONTHS: "months"}

# Intents that are not an answer to the form's question: the form lets the other rules answer
# them (an FAQ question, "cancel", "talk to a human"…) and asks again afterwards.
NOT_ANSWERS = frozenset({
    "cancel", "greet", "goodbye", "thank", "chitchat", "out_of_scope", "human_handoff", "request_english",
    "request_portuguese", "faq", "check_lead", "register_lead", "explain_unavailability",
})
# Intents that stop or redirect the conversation: never read as an answer, however short.
NEVER_ANSWERS = frozenset({"cancel", "human_handoff", "request_english", "request_portuguese", "goodbye"})
# A reply this short that holds what was asked is the answer, whatever intent the NLU gave it
# ("provider" can look like an FAQ question about providers).
SHORT_ANSWER_WORDS = 5
# The rules engine's codes for "the term has no end: how many months?" — the form asks for them.
MONTHS_REQUIRED = frozenset({"months_required", "months_required_legacy"})
# Which value to ask again when the whole estimate is refused.
SLOT_OF_ERROR = {
    "unknown_package": PACKAGE,
    "bad_month": START, "no_policy": START, "horizon_out_of_range": START, "change_before_start": START,
    "unknown_product": PRODUCT, "duplicate_line": PRODUCT, "two_editions": PRODUCT, "bad_line": PRODUCT,
    "bad_price": PRICE, "negative_price": PRICE, "price_too_high": PRICE,
    "bad_months": MONTHS,
}
# Refusals caused by the changes or other products of the first message rather than by the line.
EXTRA_ERRORS = frozenset({"change_before_start", "two_editions", "duplicate_line", "duplicate_change", "bad_change",
                          "bad_line", "unknown_product"})
# Notes of the estimate worth saying in a chat; the term notes repeat the policy, and the legacy
# ones speak of the CLI's --still-managing option.
SHOWN_NOTES = ("edition_replaced", "change_after_horizon", "months_capped", "customer_churned",
               "customer_returned", "nothing_paid", "payout_paperwork")


# --------------------------------------------------------------------------- numbers and dates


def format_money(amount, lang: str) -> str:
    """US$ 1.234,56 (pt) / US$1,234.56 (en)."""
    plain = f"{Decimal(str(amount)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    if lang == "pt":
        return "US$ " + plain.replace(",", "§").replace(".", ",").replace("§", ".")
    return "US$" + plain


def format_day(day, lang: str) -> str:
    """15/05/2019 (pt) / 2019-05-15 (en)."""
    day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
    return day.strftime("%d/%m/%Y") if lang == "pt" else day.isoformat()


def format_month(month, lang: str) -> str:
    """01/2019 (pt) / 2019-01 (en)."""
    month = parse_month(month)
    return f"{month.month:02d}/{month.year:04d}" if lang == "pt" else f"{month.year:04d}-{month.month:02d}"


def format_rate(rate, lang: str) -> str:
    """20% / 12,5% (pt) / 12.5% (en)."""
    shown = f"{(Decimal(str(rate)) * 100).normalize():f}"
    return (shown.replace(".", ",") if lang == "pt" else shown) + "%"


# --------------------------------------------------------------------------- response texts


def response_text(name: str, lang: str, **values) -> str:
    """The text of a bot/domain/commission.yml response in `lang`, placeholders filled (as Rasa fills them)."""
    return context_response_text(domain_responses(RESPONSES_FILE), name, lang, **values)


# --------------------------------------------------------------------------- who is asking


_current_databases: set = set()


def partner_package(partner_id: str) -> str | None:
    """The package of a partner in the partners table; None when unknown or the database cannot be read."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from rules.db.migrate import ensure_current
    from rules.db.models import partners
    from rules.db.session import get_engine

    try:
        engine = get_engine()
        if str(engine.url) not in _current_databases:
            ensure_current(engine)
            _current_databases.add(str(engine.url))
        with engine.connect() as conn:
            row = conn.execute(select(partners.c.package).where(partners.c.partner_id == partner_id)).first()
    except (SQLAlchemyError, OSError):
        logger.exception("could not read the partners table")
        return None
    return row[0] if row and row[0] in ("provider", "partner") else None


# --------------------------------------------------------------------------- slots <-> request


def request_from_slots(slots: dict) -> EstimateRequest:
    return EstimateRequest(
        package=slots.get(PACKAGE), start=slots.get(START), product=slots.get(PRODUCT), hub=slots.get(HUB),
        price=slots.get(PRICE), months=slots.get(MONTHS),
        changes=[ChangeRequest.from_slot(c) for c in slots.get(CHANGES) or [] if isinstance(c, dict)],
        extra_lines=[LineRequest.from_slot(x) for x in slots.get(EXTRA_LINES) or [] if isinstance(x, dict)],
    )


def slots_from_request(request: EstimateRequest) -> dict:
    return {
        PACKAGE: request.package, START: request.start, PRODUCT: request.product, PRICE: request.price,
        MONTHS: request.months, HUB: request.hub,
        CHANGES: [c.as_slot() for c in request.changes] or None,
        EXTRA_LINES: [x.as_slot() for x in request.extra_lines] or None,
    }


# --------------------------------------------------------------------------- reading a message


def _since_last_message(tracker: Tracker) -> list:
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return events[last_user + 1:]


def activated_now(tracker: Tracker) -> bool:
    """Whether the form is being activated by this message (Rasa marks the loop active just before
    it validates, so the active loop alone does not tell)."""
    if (tracker.active_loop or {}).get("name") != FORM:
        return True
    return any(e.get("event") == "active_loop" and e.get("name") == FORM for e in _since_last_message(tracker))


def message_is_new(tracker: Tracker) -> bool:
    """Whether the latest message still has to be read: false when the form comes back after
    another action answered it (an FAQ question in the middle of the form)."""
    after = _since_last_message(tracker)
    own = [i for i, e in enumerate(after) if e.get("event") == "action"]
    if own and after[own[-1]].get("name") == FORM:
        del after[own[-1]]  # the form's own execution, now validating
    return not any(e.get("event") in ("action", "action_execution_rejected") and e.get("name") != "action_listen"
                   for e in after)


def _take(entities: list, *names: str) -> dict | None:
    """The first entity of one of `names`, taken out of `entities` (the rest is read afterwards)."""
    for entity in entities:
        if entity.get("entity") in names and entity.get("value") not in (None, ""):
            entities.remove(entity)
            return entity
    return None


def read_message(message: dict, requested: str | None, state: EstimateRequest) -> EstimateRequest:
    """What the message says: the answer to the question asked (`requested`), and whatever else it
    names — a correction ("actually it's 60 a month", "no, start in March") or more details."""
    text = message.get("text") or ""
    entities = [dict(e) for e in message.get("entities") or []]
    said = EstimateRequest()
    if requested == MONTHS:
        entity = _take(entities, "duration_months") or _take(entities, "number")
        said.months = str(entity["value"]) if entity else None
    elif requested == PRICE:
        entity = _take(entities, "money", "number")
        said.price = cr.signed_amount(entity, text) if entity else cr.raw_amount(text)
    elif requested == START:
        entity = _take(entities, "month")
        said.start = str(entity["value"]) if entity else None
    elif requested == PRODUCT:
        entity = _take(entities, "product")
        if entity:
            code = cr.catalogue_code(str(entity["value"]))
            said.hub, said.product = (code, None) if cr.hub_of(code) == code else (None, code)
        elif state.hub:
            said.product = cr.edition_in(text, state.hub)
        else:
            said.product = cr.product_in(text)
    elif requested == PACKAGE:
        entity = _take(entities, "package")
        said.package = str(entity["value"]) if entity else None
    rest = cr.request_from_entities(entities, text)
    for name in ("package", "partner_id", "start", "price", "months"):
        if getattr(said, name) is None:
            setattr(said, name, getattr(rest, name))
    if said.product is None and said.hub is None:
        said.product, said.hub = rest.product, rest.hub
    said.changes, said.extra_lines = rest.changes, rest.extra_lines
    return said


def is_answer(intent: str | None, message: dict, requested: str | None, said: EstimateRequest) -> bool:
    """Whether a message during the form is for the form: any message with an answer-like intent,
    and a short reply holding the value asked for whatever its intent (but "cancel" and the like)."""
    if intent in NEVER_ANSWERS:
        return False
    if intent not in NOT_ANSWERS:
        return True
    short = len((message.get("text") or "").split()) <= SHORT_ANSWER_WORDS
    field = FIELD_OF_SLOT.get(requested)
    answered = field is not None and (getattr(said, field) is not None or (field == "product" and said.hub is not None))
    return short and answered


# --------------------------------------------------------------------------- checking values


def checked_start(value: str, previous: str | None) -> str:
    """A start month the policy knows ("2019-01"); a year-less one is resolved (see resolve_start)."""
    month = parse_month(cr.resolve_start(value, previous, cr.today()))
    try:
        commission_rate("provider", month)
    except ParameterError:
        raise BadInput("no_policy", month=f"{month.year:04d}-{month.month:02d}") from None
    return f"{month.year:04d}-{month.month:02d}"


def checked_price(value: str, product: str | None, lang: str) -> str:
    shown = display_name(product, lang) if product else ""
    return format(parse_price(value, shown), "f")


class Reading:
    """One message applied to the request being built: the values it changed, and what to say."""

    def __init__(self, state: EstimateRequest, lang: str, dispatcher: CollectingDispatcher):
        self.state = state
        self.lang = lang
        self.dispatcher = dispatcher
        self.touched: set = set()

    def refuse(self, error: BadInput, slot: str | None) -> None:
        self.dispatcher.utter_message(text=error.message(self.lang))
        if slot:
            setattr(self.state, FIELD_OF_SLOT.get(slot, slot), None)
            self.touched.add(slot)

    def apply(self, said: EstimateRequest, fresh_request: bool) -> None:
        state = self.state
        if said.package is not None:
            self.touched.add(PACKAGE)
            try:
                state.package = parse_package(said.package)
            except BadInput as error:
                self.refuse(error, PACKAGE)
        if said.start is not None:
            self.touched.add(START)
            try:
                state.start = checked_start(said.start, None if fresh_request else state.start)
            except BadInput as error:
                self.refuse(error, START)
        if said.hub is not None:
            self.touched.update({PRODUCT, HUB})
            state.hub, state.product = said.hub, None
        elif said.product is not None:
            self.touched.update({PRODUCT, HUB})
            try:
                state.product, state.hub = resolve_product(said.product), None
            except BadInput as error:
                self.refuse(error, PRODUCT)
        if said.price is not None:
            self.touched.add(PRICE)
            try:
                state.price = checked_price(said.price, state.product, self.lang)
            except BadInput as error:
                self.refuse(error, PRICE)
        if said.months is not None:
            self.touched.add(MONTHS)
            try:
                state.months = str(parse_months(said.months))
            except BadInput as error:
                self.refuse(error, MONTHS)
        for change in said.changes:
            self.touched.add(CHANGES)
            try:
                change.price = format(parse_price(change.price, display_name(change.product or state.product or "", self.lang)), "f")
                # Said again for the same month and product: the new price replaces the old one.
                state.changes = [c for c in state.changes if (c.month, c.product) != (change.month, change.product)]
                state.changes.append(change)
            except BadInput as error:
                self.refuse(error, None)
        for line in said.extra_lines:
            self.touched.add(EXTRA_LINES)
            try:
                line.price = format(parse_price(line.price, display_name(line.product, self.lang)), "f")
                state.extra_lines = [x for x in state.extra_lines if x.product != line.product]
                state.extra_lines.append(line)
            except BadInput as error:
                self.refuse(error, None)

    def check_whole(self) -> bool:
        """Try the estimate once everything is there: True when the term has no end (months needed).
        A refused estimate says why and asks again for the value at fault."""
        state = self.state
        for _ in range(3):
            if None in (state.package, state.start, state.product, state.price):
                return False
            try:
                state.estimate()
                return False
            except BadInput as error:
                if error.code in MONTHS_REQUIRED:
                    return True
                if error.code in EXTRA_ERRORS and (state.changes or state.extra_lines):
                    # The later changes or other products did not fit: say why and drop them.
                    self.refuse(error, None)
                    self.touched.update(slot for slot, kept in ((CHANGES, state.changes), (EXTRA_LINES, state.extra_lines)) if kept)
                    state.changes, state.extra_lines = [], []
                else:
                    self.refuse(error, SLOT_OF_ERROR.get(error.code, START))
        return False


def required(state: EstimateRequest, months_needed: bool) -> list:
    slots = [PACKAGE, START, PRODUCT, PRICE]
    return slots + [MONTHS] if months_needed or state.months is not None else slots


def next_slot(state: EstimateRequest, months_needed: bool) -> str | None:
    values = slots_from_request(state)
    return next((slot for slot in required(state, months_needed) if values[slot] is None), None)


# --------------------------------------------------------------------------- actions


class ValidateCommissionForm(FormValidationAction):
    """Fills commission_form from each message and asks for the next missing value.

    `run` is overridden: one message may answer the question, correct another value and add
    changes at once, so it is read as a whole (read_message) rather than slot by slot."""

    def name(self) -> str:
        return "validate_commission_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list:
        state = request_from_slots(tracker.slots)
        probe = Reading(state, language_of(tracker), CollectingDispatcher())
        return required(state, probe.check_whole())

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        lang = language_of(tracker)
        try:
            return self._run(dispatcher, tracker, lang)
        except Exception:  # never leave the person without an answer
            logger.exception("commission form validation failed")
            dispatcher.utter_message(response="utter_commission_failed")
            return [SlotSet(slot, None) for slot in ALL_SLOTS] + [SlotSet(REQUESTED_SLOT, None)]

    def _run(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list:
        activating = activated_now(tracker)
        before = {slot: tracker.get_slot(slot) for slot in ALL_SLOTS}
        # A new estimate starts from nothing; during the form, from what was said so far.
        state = EstimateRequest() if activating else request_from_slots(before)
        requested = None if activating else tracker.get_slot(REQUESTED_SLOT)
        reading = Reading(state, lang, dispatcher)
        identity = identity_of(tracker)

        if activating or message_is_new(tracker):
            intent = latest_intent(tracker)
            message = tracker.latest_message or {}
            said = read_message(message, requested, state)
            if activating or is_answer(intent, message, requested, said):
                if identity is None or not identity.is_staff:
                    said.partner_id = None  # only staff estimate for another partner
                reading.apply(said, fresh_request=activating)
                if said.partner_id:
                    package = partner_package(said.partner_id)
                    if package:
                        state.package = package
                        reading.touched.add(PACKAGE)
                    else:
                        reading.refuse(BadInput("unknown_partner", partner_id=said.partner_id), PACKAGE)
            if not activating and not reading.touched:
                if intent in NOT_ANSWERS or not requested:
                    return []  # not an answer: the form is rejected and the other rules answer
                dispatcher.utter_message(response="utter_commission_not_understood")
                reading.touched.add(requested)  # counts as an answer: the form asks again

        if identity is not None and identity.partner_id:
            profile = partner_package(identity.partner_id)
            if profile:  # a partner estimates for its own package, whatever the message says
                state.package = profile

        months_needed = reading.check_whole()
        after = slots_from_request(state)
        answered = {requested, HUB} if requested == PRODUCT else {requested}  # a hub answers "which product?"
        if not activating and any(slot not in answered and slot in reading.touched and after[slot] is not None
                                  and after[slot] != before[slot] for slot in ALL_SLOTS):
            dispatcher.utter_message(response="utter_commission_corrected")  # then the form asks again
        events = [SlotSet(slot, after[slot]) for slot in ALL_SLOTS
                  if activating or slot in reading.touched or after[slot] != before[slot]]
        return events + [SlotSet(REQUESTED_SLOT, next_slot(state, months_needed))]


class ActionAskCommissionProduct(Action):
    """Which product — or, for a hub named without its edition, which edition."""

    def name(self) -> str:
        return "action_ask_commission_product"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        hub = tracker.get_slot(HUB)
        if hub:
            dispatcher.utter_message(response="utter_ask_commission_edition", hub=cr.hub_display(hub))
        else:
            dispatcher.utter_message(response="utter_ask_commission_product")
        return []


class ActionAskCommissionPrice(Action):
    """The monthly price of the product named."""

    def name(self) -> str:
        return "action_ask_commission_price"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        product = tracker.get_slot(PRODUCT)
        shown = display_name(product, language_of(tracker)) if product else ""
        dispatcher.utter_message(response="utter_ask_commission_price", product=shown)
        return []


def answer(estimate, state: EstimateRequest, lang: str) -> list:
    """The answer as (response, values) pairs: the estimate with its payout schedule, then the notes and the policy."""
    data = estimate.as_dict(lang)
    start = parse_month(state.start)
    inputs = [response_text("utter_commission_item_payment", lang, product=display_name(line.split("=")[0], lang),
                            price=format_money(line.split("=")[1], lang), month=format_month(start, lang))
              for line in state.line_texts()]
    for change in state.change_texts():
        month, body = change.split(":", 1)
        product, price = body.split("=")
        inputs.append(response_text("utter_commission_item_payment", lang, product=display_name(product, lang),
                                    price=format_money(price, lang), month=format_month(month, lang)))
    payouts = [response_text("utter_commission_item_payout", lang, number=p["quarter"][-1], year=p["quarter"][:4],
                             amount=format_money(p["amount"], lang), paid_on=format_day(p["paid_on"], lang))
               for p in data["payouts"]] or [response_text("utter_commission_item_no_payout", lang)]
    horizon = data["horizon"]
    notes = [f"- {note['text']}" for note in data["notes"] if note["code"] in SHOWN_NOTES]
    return [
        ("utter_commission_estimate", {
            "package_name": rules_text("commission", f"package_{data['package']}", lang),
            "inputs": "\n".join(inputs),
            "total": format_money(data["total"], lang),
            "rate": format_rate(data["rate"], lang),
            "revenue": format_money(data["revenue_counted"], lang),
            "months_counted": data["months_counted"],
            "first": format_month(horizon["first_month"], lang),
            "last": format_month(horizon["last_month"] or horizon["first_month"], lang),
            "payouts": "\n".join(payouts),
        }),
        ("utter_commission_policy", {"notes": "\n".join(notes), "policy": data["policy"]}),
    ]


class ActionEstimateCommission(Action):
    """Answers the estimate the form (or one message) gathered, then forgets it."""

    def name(self) -> str:
        return "action_estimate_commission"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        lang = language_of(tracker)
        state = request_from_slots({slot: tracker.get_slot(slot) for slot in ALL_SLOTS})
        reset = [SlotSet(slot, None) for slot in ALL_SLOTS]
        if None in (state.package, state.start, state.product, state.price):
            return reset  # the form was stopped and has said why
        try:
            estimate = state.estimate()
            messages = answer(estimate, state, lang)
        except BadInput as error:
            dispatcher.utter_message(text=error.message(lang))
            return reset
        except Exception:
            logger.exception("commission estimate failed")
            dispatcher.utter_message(response="utter_commission_failed")
            return reset
        for response, values in messages:
            dispatcher.utter_message(response=response, **values)
        return reset
