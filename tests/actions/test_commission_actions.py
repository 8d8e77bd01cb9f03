"""Commission estimate conversations (actions/commission.py): the form's events and messages turn by turn,
for a signed-in provider and partner (package from the partners table), staff and anonymous people,
with corrections, bad values asked again, a cancellation and the answer's exact text in both languages."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import commission
from actions.commission import (
    ALL_SLOTS, CHANGES, HUB, MONTHS, PACKAGE, PRICE, PRODUCT, START,
    ActionAskCommissionPrice, ActionAskCommissionProduct, ActionEstimateCommission, ValidateCommissionForm,
    format_day, format_money, format_month, format_rate, response_text,
)
from bot import commission_request
from rules.errors import BadInput

REQUESTED = "requested_slot"
FAQ_EXAMPLE_PT = ("quanto ganho com US$ 50 por mês de Sales Hub Starter desde janeiro de 2019, "
                  "com upgrade para US$ 400 em julho?")
FAQ_EXAMPLE_EN = "US$50 a month of Sales Hub Starter from January 2019, upgrading to US$400 in July"
MESSAGE_KEYS = ("response", "text")


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """Year-less start months resolve against this day."""
    monkeypatch.setattr(commission_request, "today", lambda: dt.date(2024, 5, 10))


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, dispatcher.messages


def said(messages, lang):
    """The messages as the person reads them (responses rendered as Rasa renders them)."""
    out = []
    for message in messages:
        if message.get("response"):
            values = {k: v for k, v in message.items() if k not in MESSAGE_KEYS and not isinstance(v, list)}
            out.append(response_text(message["response"], lang, **values))
        else:
            out.append(message["text"])
    return out


class Conversation:
    """Plays the form as Rasa does: each message goes to validate_commission_form with the slots so far,
    the form asks for the slot requested, and the answer comes when nothing is requested any more."""

    def __init__(self, entities_of, lang="pt", token=None):
        self.entities_of = entities_of
        self.lang = lang
        self.token = token
        self.slots = {"language": lang, REQUESTED: None, **dict.fromkeys(ALL_SLOTS)}
        self.active = False

    def tracker(self, text, intent, entities=None, after=(), active=None):
        parse = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": self.entities_of(text, self.lang) if entities is None else entities,
            "metadata": {"token": self.token} if self.token else {},
        }
        activating = not (self.active if active is None else active)
        events = [
            {"event": "user", "text": text, "parse_data": parse, "metadata": parse["metadata"]},
            *after,
            # What Rasa's form adds before it calls its validation action: at activation the loop is
            # marked active first, then the requested slot and the form's own execution.
            *([{"event": "active_loop", "name": "commission_form"}] if activating else []),
            {"event": "slot", "name": REQUESTED, "value": self.slots[REQUESTED]},
            {"event": "action", "name": "commission_form"},
        ]
        return Tracker("tester", dict(self.slots), parse, events, False, None, {"name": "commission_form"},
                       "action_listen")

    def say(self, text, intent="inform", entities=None, after=()):
        """One message: (events, messages) of the form's validation; the slots are updated with them."""
        events, messages = run(ValidateCommissionForm(), self.tracker(text, intent, entities, after))
        for event in events:
            self.slots[event["name"]] = event["value"]
        if events:
            self.active = self.slots[REQUESTED] is not None
        return events, messages

    def answer(self):
        events, messages = run(ActionEstimateCommission(), Tracker(
            "tester", dict(self.slots), {"text": "", "intent": {}, "entities": [], "metadata": {}},
            [], False, None, {}, "commission_form"))
        for event in events:
            self.slots[event["name"]] = event["value"]
        return events, messages


def all_slots(requested, **values):
    """The events of a form activation: every commission slot, then the slot requested."""
    return [SlotSet(slot, values.get(slot)) for slot in ALL_SLOTS] + [SlotSet(REQUESTED, requested)]


FAQ_ANSWER_PT = [
    "Estimativa de comissão — fornecedor de soluções (Solutions Provider):\n"
    "- Sales Hub Starter: US$ 50,00/mês a partir de 01/2019\n"
    "- Sales Hub Starter: US$ 400,00/mês a partir de 07/2019\n\n"
    "**Total: US$ 540,00** (20% de US$ 2.700,00 pagos em 12 meses, de 01/2019 a 12/2019).\n\n"
    "**Pagamentos trimestrais:**\n"
    "- 1º trimestre de 2019: US$ 30,00, pago em 15/05/2019\n"
    "- 2º trimestre de 2019: US$ 30,00, pago em 14/08/2019\n"
    "- 3º trimestre de 2019: US$ 240,00, pago em 14/11/2019\n"
    "- 4º trimestre de 2019: US$ 240,00, pago em 14/02/2020",
]
FAQ_ANSWER_EN = [
    "Commission estimate — Solutions Provider:\n"
    "- Sales Hub Starter: US$50.00/month from 2019-01\n"
    "- Sales Hub Starter: US$400.00/month from 2019-07\n\n"
    "**Total: US$540.00** (20% of US$2,700.00 paid over 12 months, 2019-01 to 2019-12).\n\n"
    "**Quarterly payouts:**\n"
    "- Q1 2019: US$30.00, paid on 2019-05-15\n"
    "- Q2 2019: US$30.00, paid on 2019-08-14\n"
    "- Q3 2019: US$240.00, paid on 2019-11-14\n"
    "- Q4 2019: US$240.00, paid on 2020-02-14",
]


# --- one message with everything ------------------------------------------------------------------


def test_signed_in_provider_gets_the_faq_example_at_once_in_portuguese(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "pt", token=commission_token("P-3001"))
    events, messages = chat.say(FAQ_EXAMPLE_PT, intent="estimate_commission")
    assert events == all_slots(None, **{
        PACKAGE: "provider", START: "2019-01", PRODUCT: "sales_hub_starter", PRICE: "50",
        CHANGES: [{"month": "--07", "price": "400", "product": None}]})
    assert messages == []

    events, messages = chat.answer()
    assert events == [SlotSet(slot, None) for slot in ALL_SLOTS]
    assert [m["response"] for m in messages] == ["utter_commission_estimate", "utter_commission_policy"]
    assert messages[0]["total"] == "US$ 540,00" and messages[0]["rate"] == "20%"
    assert messages[0]["months_counted"] == 12
    text = said(messages, "pt")
    assert text[0] == FAQ_ANSWER_PT[0]
    assert text[1].startswith("**Observações:**\n- As comissões são pagas trimestralmente, 45 dias após")
    assert "**Política aplicada:** Política de comissão de fornecedor de soluções (Solutions Provider), versão provider-2018-01-01" in text[1]


def test_signed_in_provider_gets_the_faq_example_at_once_in_english(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("P-3001"))
    events, _ = chat.say(FAQ_EXAMPLE_EN, intent="estimate_commission")
    assert events[-1] == SlotSet(REQUESTED, None)
    _, messages = chat.answer()
    text = said(messages, "en")
    assert text[0] == FAQ_ANSWER_EN[0]
    assert text[1].startswith("**Notes:**\n- Commissions are paid quarterly, 45 days after the quarter closes")
    assert "**Policy applied:** Solutions Provider commission policy, version provider-2018-01-01" in text[1]


def test_an_upgrade_to_another_edition_replaces_the_old_one_and_says_so(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("P-3001"))
    events, _ = chat.say("Sales Hub Starter at $50/month since Jan 2019, upgrade to Sales Professional at 400 in July",
                         intent="estimate_commission")
    assert SlotSet(CHANGES, [{"month": "--07", "price": "400", "product": "sales_hub_professional"}]) in events
    _, messages = chat.answer()
    assert messages[0]["total"] == "US$540.00"
    assert messages[0]["inputs"] == ("- Sales Hub Starter: US$50.00/month from 2019-01\n"
                                     "- Sales Hub Professional: US$400.00/month from 2019-07")
    assert ("- In 2019-07, Sales Hub Professional replaces Sales Hub Starter: an account has one edition of each hub "
            "at a time (an upgrade or a downgrade).") in messages[1]["notes"]


def test_a_signed_in_partner_uses_its_own_package_whatever_the_message_says(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "pt", token=commission_token("P-3002"))
    events, messages = chat.say("como fornecedor: Sales Hub Starter a 50 dólares por mês desde 2024-01",
                                intent="estimate_commission")
    assert events == all_slots(None, **{PACKAGE: "partner", START: "2024-01", PRODUCT: "sales_hub_starter", PRICE: "50"})
    assert messages == []
    _, messages = chat.answer()
    # Partner deals closed from 2023-04-01: 36 months at 20%.
    assert messages[0]["package_name"] == "parceiro de soluções (Solutions Partner)"
    assert messages[0]["total"] == "US$ 360,00" and messages[0]["months_counted"] == 36
    assert messages[0]["last"] == "12/2026"


def test_a_legacy_partner_deal_is_asked_for_the_months_then_answered(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("P-3002"))
    events, messages = chat.say(FAQ_EXAMPLE_EN, intent="estimate_commission")
    # Closed before 2023-04-01: the partner term has no end, so the form asks how many months.
    assert events[-1] == SlotSet(REQUESTED, MONTHS)
    assert SlotSet(PACKAGE, "partner") in events and messages == []

    events, messages = chat.say("24 months")
    assert events == [SlotSet(MONTHS, "24"), SlotSet(REQUESTED, None)]
    _, messages = chat.answer()
    assert messages[0]["months_counted"] == 24 and messages[0]["last"] == "2020-12"
    assert messages[0]["total"] == "US$1,500.00"  # 20% of (6 × 50 + 18 × 400)


def test_a_bad_number_of_months_is_refused_and_asked_again(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "pt", token=commission_token("P-3002"))
    chat.say(FAQ_EXAMPLE_PT, intent="estimate_commission")
    events, messages = chat.say("0 meses")
    assert events == [SlotSet(MONTHS, None), SlotSet(REQUESTED, MONTHS)]
    assert said(messages, "pt") == ["“0” não é um número de meses: use um número inteiro de 1 a 600."]


# --- the form asks only for what is missing --------------------------------------------------------


def test_anonymous_people_are_asked_for_the_package_then_answered(commission_db, entities_of):
    chat = Conversation(entities_of, "pt")
    events, messages = chat.say(FAQ_EXAMPLE_PT, intent="estimate_commission")
    assert events[-1] == SlotSet(REQUESTED, PACKAGE)
    events, messages = chat.say("fornecedor")
    assert events == [SlotSet(PACKAGE, "provider"), SlotSet(REQUESTED, None)]
    _, messages = chat.answer()
    assert said(messages, "pt")[0] == FAQ_ANSWER_PT[0]


def test_a_forged_token_is_anonymous(commission_db, commission_token, entities_of, monkeypatch):
    token = commission_token("P-3001")
    monkeypatch.setenv("PARTNERBOT_JWT_SECRET", "another-secret-0123456789abcdef0123456789")
    chat = Conversation(entities_of, "en", token=token)
    events, _ = chat.say(FAQ_EXAMPLE_EN, intent="estimate_commission")
    assert events[-1] == SlotSet(REQUESTED, PACKAGE)


def test_staff_are_asked_for_the_package_and_may_name_the_partner_instead(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("alice", "staff"))
    events, _ = chat.say(FAQ_EXAMPLE_EN, intent="estimate_commission")
    assert events[-1] == SlotSet(REQUESTED, PACKAGE)
    events, messages = chat.say("P-3002")
    assert events == [SlotSet(PACKAGE, "partner"), SlotSet(REQUESTED, MONTHS)] and messages == []


def test_staff_naming_a_partner_in_the_first_message_get_its_package(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("alice", "staff"))
    events, messages = chat.say("estimate for partner P-3001: " + FAQ_EXAMPLE_EN, intent="estimate_commission")
    assert SlotSet(PACKAGE, "provider") in events and events[-1] == SlotSet(REQUESTED, None)
    assert messages == []


def test_staff_naming_an_unknown_partner_are_told_and_asked_for_the_package(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "pt", token=commission_token("alice", "staff"))
    chat.say(FAQ_EXAMPLE_PT, intent="estimate_commission")
    events, messages = chat.say("P-9999")
    assert events == [SlotSet(PACKAGE, None), SlotSet(REQUESTED, PACKAGE)]
    assert said(messages, "pt") == ["Não conheço o parceiro “P-9999”."]


def test_a_partner_id_from_a_partner_or_anonymous_person_is_ignored(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en")
    chat.say(FAQ_EXAMPLE_EN, intent="estimate_commission")
    events, messages = chat.say("P-3002")
    assert events == [SlotSet(PACKAGE, None), SlotSet(REQUESTED, PACKAGE)]
    assert [m["response"] for m in messages] == ["utter_commission_not_understood"]


def test_a_partner_missing_from_the_table_is_asked_for_the_package(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("P-7777"))
    events, _ = chat.say(FAQ_EXAMPLE_EN, intent="estimate_commission")
    assert events[-1] == SlotSet(REQUESTED, PACKAGE)


def test_an_unreadable_database_means_the_package_is_asked(tmp_path, monkeypatch, commission_token, entities_of):
    from rules.db.session import get_engine

    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'not-a-folder' / 'x.db'}")
    get_engine.cache_clear()
    chat = Conversation(entities_of, "en", token=commission_token("P-3001"))
    events, messages = chat.say(FAQ_EXAMPLE_EN, intent="estimate_commission")
    get_engine.cache_clear()
    assert events[-1] == SlotSet(REQUESTED, PACKAGE) and messages == []


def test_the_form_asks_for_each_missing_piece_in_order(commission_db, entities_of):
    chat = Conversation(entities_of, "pt")
    events, messages = chat.say("quero simular uma comissão", intent="estimate_commission")
    assert events == all_slots(PACKAGE) and messages == []
    assert chat.say("parceiro")[0] == [SlotSet(PACKAGE, "partner"), SlotSet(REQUESTED, START)]
    assert chat.say("março de 2024")[0] == [SlotSet(START, "2024-03"), SlotSet(REQUESTED, PRODUCT)]
    events, messages = chat.say("Sales Hub")  # which edition? (asked by action_ask_commission_product)
    assert events == [SlotSet(PRODUCT, None), SlotSet(HUB, "sales_hub"), SlotSet(REQUESTED, PRODUCT)]
    assert messages == []  # an answer, not a correction
    assert chat.say("Marketing Hub Professional")[0] == [
        SlotSet(PRODUCT, "marketing_hub_professional"), SlotSet(HUB, None), SlotSet(REQUESTED, PRICE)]
    assert chat.say("890 dólares por mês")[0] == [SlotSet(PRICE, "890"), SlotSet(REQUESTED, None)]
    _, messages = chat.answer()
    assert messages[0]["total"] == "US$ 6.408,00"  # 20% × 890 × 36


def test_a_bare_number_answers_the_price_question(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("P-3001"))
    chat.say("Service Hub Starter from 2024-02", intent="estimate_commission")
    assert chat.slots[REQUESTED] == PRICE
    assert chat.say("1,200.50")[0] == [SlotSet(PRICE, "1200.5"), SlotSet(REQUESTED, None)]


def test_a_hub_without_edition_is_asked_for_its_edition(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "pt", token=commission_token("P-3001"))
    events, _ = chat.say("Sales Hub a 50 dólares por mês desde jan/2019", intent="estimate_commission")
    assert events == all_slots(PRODUCT, **{PACKAGE: "provider", START: "2019-01", PRICE: "50", HUB: "sales_hub"})

    _, messages = run(ActionAskCommissionProduct(), chat.tracker("", "inform"))
    assert messages == [{**messages[0], "response": "utter_ask_commission_edition", "hub": "Sales Hub"}]
    assert said(messages, "pt") == ["Qual edição do Sales Hub: Starter, Professional ou Enterprise?"]

    # "pro" alone is an edition only as the answer to this question.
    events, messages = chat.say("o pro")
    assert events == [SlotSet(PRODUCT, "sales_hub_professional"), SlotSet(HUB, None), SlotSet(REQUESTED, None)]


def test_the_ask_actions_name_the_product(commission_db, entities_of):
    chat = Conversation(entities_of, "en")
    _, messages = run(ActionAskCommissionProduct(), chat.tracker("", "inform"))
    assert said(messages, "en") == ["Which product did the customer buy? For example: Sales Hub Starter or Marketing Hub Professional."]
    chat.slots[PRODUCT] = "content_hub_professional"
    _, messages = run(ActionAskCommissionPrice(), chat.tracker("", "inform"))
    assert said(messages, "en") == [
        "How much does the customer pay a month for Content Hub Professional, in US dollars? For example: 50 or 49.99."]


# --- bad values are refused in the person's language and asked again ---------------------------------


def test_a_negative_price_is_refused_and_asked_again(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "pt", token=commission_token("P-3001"))
    chat.say("Sales Hub Starter desde janeiro de 2019", intent="estimate_commission")
    assert chat.slots[REQUESTED] == PRICE
    events, messages = chat.say("-50")
    assert events == [SlotSet(PRICE, None), SlotSet(REQUESTED, PRICE)]
    assert said(messages, "pt") == ["O valor mensal de Sales Hub Starter não pode ser negativo (“-50”); use 0 para cancelar."]
    events, messages = chat.say("-US$ 50 por mês")
    assert events == [SlotSet(PRICE, None), SlotSet(REQUESTED, PRICE)]
    assert chat.say("50")[0] == [SlotSet(PRICE, "50"), SlotSet(REQUESTED, None)]


def test_a_price_above_the_limit_is_refused(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("P-3001"))
    chat.say("Sales Hub Starter from January 2019", intent="estimate_commission")
    events, messages = chat.say("US$ 2,000,000")
    assert events == [SlotSet(PRICE, None), SlotSet(REQUESTED, PRICE)]
    assert said(messages, "en") == [
        "“2000000” a month for Sales Hub Starter is above the most accepted (US$ 1000000); check the amount."]


def test_a_negative_price_in_the_first_message_is_refused(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("P-3001"))
    events, messages = chat.say("-US$ 50 a month of Sales Hub Starter from January 2019", intent="estimate_commission")
    assert events == all_slots(PRICE, **{PACKAGE: "provider", START: "2019-01", PRODUCT: "sales_hub_starter"})
    assert said(messages, "en") == ["The monthly price of Sales Hub Starter cannot be negative (“-50”); use 0 to cancel."]


def test_an_unknown_product_is_refused_and_asked_again(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("P-3001"))
    chat.say("50 a month from 2024-01", intent="estimate_commission")
    assert chat.slots[REQUESTED] == PRODUCT
    events, messages = chat.say("CRM Hub Starter", entities=[{"entity": "product", "value": "crm_hub_starter"}])
    assert events == [SlotSet(PRODUCT, None), SlotSet(HUB, None), SlotSet(REQUESTED, PRODUCT)]
    assert said(messages, "en")[0].startswith("“crm_hub_starter” is not a HubSpot product I know.")
    # A product the patterns do not know but the catalogue does.
    assert chat.say("Reporting add-on", entities=[])[0] == [
        SlotSet(PRODUCT, "addon_reporting"), SlotSet(HUB, None), SlotSet(REQUESTED, None)]


def test_a_bad_month_is_refused_and_asked_again(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "pt", token=commission_token("P-3001"))
    chat.say("Sales Hub Starter a 50 dólares por mês", intent="estimate_commission")
    assert chat.slots[REQUESTED] == START
    events, messages = chat.say("13/2019", entities=[{"entity": "month", "value": "2019-13"}])
    assert events == [SlotSet(START, None), SlotSet(REQUESTED, START)]
    assert said(messages, "pt") == ["“2019-13” não é um mês válido (use AAAA-MM)."]
    events, messages = chat.say("1990-01")
    assert events == [SlotSet(START, None), SlotSet(REQUESTED, START)]
    assert said(messages, "pt") == ["Não há política de comissão registrada para um negócio fechado em 1990-01."]


def test_an_answer_without_a_value_is_asked_again(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "pt", token=commission_token("P-3001"))
    chat.say("Sales Hub Starter a 50 dólares por mês", intent="estimate_commission")
    events, messages = chat.say("2019")  # a year alone is no month
    assert events == [SlotSet(START, None), SlotSet(REQUESTED, START)]
    assert said(messages, "pt") == ["Não consegui ler essa resposta. Se quiser parar, diga “cancelar”."]


def test_a_change_before_a_corrected_start_is_dropped_with_the_reason(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("P-3001"))
    chat.say("Sales Hub Starter at $50/month from January 2019, upgrading to US$400 in July 2019, for 12 months",
             intent="estimate_commission")
    chat.active, chat.slots[REQUESTED] = True, MONTHS  # as if the form were still asking
    events, messages = chat.say("no, it started in September 2019", intent="deny")
    assert events == [SlotSet(START, "2019-09"), SlotSet(CHANGES, None), SlotSet(REQUESTED, None)]
    assert said(messages, "en") == ["The change “2019-07:sales_hub_starter=400” is before the start month 2019-09.",
                                    "OK, corrected."]


def test_a_year_less_change_follows_a_corrected_start(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("P-3001"))
    chat.say(FAQ_EXAMPLE_EN + ", for 12 months", intent="estimate_commission")
    chat.active, chat.slots[REQUESTED] = True, MONTHS
    events, messages = chat.say("no, it started in September 2019", intent="deny")
    assert events == [SlotSet(START, "2019-09"), SlotSet(REQUESTED, None)]
    assert said(messages, "en") == ["OK, corrected."]
    _, messages = chat.answer()
    assert messages[0]["inputs"].endswith("- Sales Hub Starter: US$400.00/month from 2020-07")


# --- corrections and cancellation ------------------------------------------------------------------


def test_a_correction_replaces_the_price_while_the_form_asks_for_something_else(commission_db, entities_of):
    chat = Conversation(entities_of, "en")
    chat.say(FAQ_EXAMPLE_EN, intent="estimate_commission")
    assert chat.slots[REQUESTED] == PACKAGE
    events, messages = chat.say("actually it's 60 a month")
    assert events == [SlotSet(PRICE, "60"), SlotSet(REQUESTED, PACKAGE)]
    assert said(messages, "en") == ["OK, corrected."]  # then the form asks for the package again
    events, messages = chat.say("no, start in March", intent="deny")
    assert events == [SlotSet(START, "2019-03"), SlotSet(REQUESTED, PACKAGE)]
    events, messages = chat.say("na verdade são 60 por mês")  # the same value again: nothing to correct
    assert events == [SlotSet(PRICE, "60"), SlotSet(REQUESTED, PACKAGE)] and messages == []
    chat.say("provider")
    _, messages = chat.answer()
    assert messages[0]["inputs"] == ("- Sales Hub Starter: US$60.00/month from 2019-03\n"
                                     "- Sales Hub Starter: US$400.00/month from 2019-07")
    assert messages[0]["total"] == "US$688.00"  # 20% × (4 × 60 + 8 × 400)


def test_the_whole_estimate_said_again_during_the_form_replaces_it(commission_db, entities_of):
    chat = Conversation(entities_of, "en")
    chat.say(FAQ_EXAMPLE_EN, intent="estimate_commission")
    events, messages = chat.say(FAQ_EXAMPLE_EN.replace("US$400", "US$500"), intent="estimate_commission")
    assert events == [SlotSet(START, "2019-01"), SlotSet(PRODUCT, "sales_hub_starter"), SlotSet(PRICE, "50"),
                      SlotSet(HUB, None), SlotSet(CHANGES, [{"month": "--07", "price": "500", "product": None}]),
                      SlotSet(REQUESTED, PACKAGE)]
    assert said(messages, "en") == ["OK, corrected."]


def test_cancel_during_the_form_lets_the_cancel_rule_answer(commission_db, entities_of):
    chat = Conversation(entities_of, "pt")
    chat.say("quero simular uma comissão", intent="estimate_commission")
    events, messages = chat.say("cancela", intent="cancel")
    assert events == [] and messages == []  # rejected: rule "cancel during the commission form" answers


def test_an_faq_question_during_the_form_is_left_to_the_faq_rule_then_the_form_asks_again(commission_db, entities_of):
    chat = Conversation(entities_of, "en")
    chat.say("calculate my commission", intent="estimate_commission")
    assert chat.say("how are commissions paid in 2019?", intent="faq") == ([], [])
    # Back after the FAQ answer: the message was answered already, so the form only asks again.
    events, messages = chat.say("how are commissions paid in 2019?", intent="faq", after=[
        {"event": "action_execution_rejected", "name": "commission_form"},
        {"event": "action", "name": "action_answer_faq"},
        {"event": "bot", "text": "Commissions are paid quarterly…"},
    ])
    assert events == [SlotSet(REQUESTED, PACKAGE)] and messages == []


def test_a_short_answer_is_taken_whatever_intent_the_nlu_gave_it(commission_db, entities_of):
    chat = Conversation(entities_of, "en")
    chat.say("calculate my commission", intent="estimate_commission")
    # "provider" alone can look like an FAQ question about providers: it answers the question asked.
    assert chat.say("provider", intent="faq") == ([SlotSet(PACKAGE, "provider"), SlotSet(REQUESTED, START)], [])
    # A real question naming a month is left to the FAQ rule…
    assert chat.say("when are commissions for deals closed in January 2024 paid?", intent="faq") == ([], [])
    # …and "cancel" is never an answer, even with a value in it.
    assert chat.say("cancel, it was 2024-01 anyway", intent="cancel") == ([], [])
    assert chat.say("2024-01", intent="thank")[0] == [SlotSet(START, "2024-01"), SlotSet(REQUESTED, PRODUCT)]


def test_a_new_estimate_forgets_the_previous_one(commission_db, entities_of):
    chat = Conversation(entities_of, "en")
    chat.say(FAQ_EXAMPLE_EN, intent="estimate_commission")
    chat.active = False  # cancelled: the slots are still there
    events, _ = chat.say("calculate my commission", intent="estimate_commission")
    assert events == all_slots(PACKAGE)


# --- the answer ------------------------------------------------------------------------------------


def test_the_answer_action_reports_a_refused_estimate_and_forgets_it(commission_db, entities_of):
    chat = Conversation(entities_of, "en")
    chat.slots.update({PACKAGE: "partner", START: "2019-01", PRODUCT: "sales_hub_starter", PRICE: "50"})
    events, messages = chat.answer()  # no months for a lifetime deal: the rules engine says what is missing
    assert events == [SlotSet(slot, None) for slot in ALL_SLOTS]
    assert said(messages, "en")[0] == BadInput("months_required_legacy", package="partner", start="2019-01",
                                               end="2025-04-01").message("en")


def test_the_answer_action_without_an_estimate_says_nothing(commission_db, entities_of):
    chat = Conversation(entities_of, "en")
    events, messages = chat.answer()
    assert events == [SlotSet(slot, None) for slot in ALL_SLOTS] and messages == []


def test_an_unexpected_failure_is_said_not_raised(commission_db, entities_of, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(commission, "read_message", broken)
    chat = Conversation(entities_of, "en")
    events, messages = chat.say(FAQ_EXAMPLE_EN, intent="estimate_commission")
    assert events == all_slots(None)
    assert said(messages, "en") == ["Sorry, I couldn't work out that estimate just now. Please try again in a moment."]


def test_a_customer_paying_nothing_gets_no_payout_line(commission_db, commission_token, entities_of):
    chat = Conversation(entities_of, "en", token=commission_token("P-3001"))
    chat.say("Sales Hub Starter at 0 a month from 2024-01", intent="estimate_commission")
    _, messages = chat.answer()
    assert messages[0]["payouts"] == "- none: the customer pays nothing in the months estimated"
    assert "- The customer pays nothing in the months estimated: there is no commission." in messages[1]["notes"]


@pytest.mark.parametrize("amount, lang, shown", [
    ("1234.56", "pt", "US$ 1.234,56"), ("1234.56", "en", "US$1,234.56"), (0, "pt", "US$ 0,00"),
    (540.0, "en", "US$540.00"), ("1000000", "pt", "US$ 1.000.000,00"), ("0.005", "en", "US$0.01"),
])
def test_money_is_written_the_way_each_language_writes_it(amount, lang, shown):
    assert format_money(amount, lang) == shown


def test_dates_months_and_rates_are_written_the_way_each_language_writes_them():
    assert format_day("2019-05-15", "pt") == "15/05/2019"
    assert format_day(dt.date(2019, 5, 15), "en") == "2019-05-15"
    assert format_month("2019-01", "pt") == "01/2019" and format_month("2019-01", "en") == "2019-01"
    assert format_rate(0.2, "pt") == "20%" and format_rate("0.125", "pt") == "12,5%" and format_rate("0.125", "en") == "12.5%"


def test_every_response_the_actions_use_has_both_languages():
    import yaml

    with commission.RESPONSES_FILE.open(encoding="utf-8") as handle:
        responses = yaml.safe_load(handle)["responses"]
    for name, variations in responses.items():
        langs = sorted(c["value"] for v in variations for c in v["condition"] if c["name"] == "language")
        assert langs == ["en", "pt"], name
