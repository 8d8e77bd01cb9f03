"""Reading a Rasa parse for triage: an email keeps what it asks even when the chat router
would turn it into a lead check (bot/nlu/components.LeadIntentRouter)."""
from bot.triage.understanding import understanding_from_parse

SELECTOR = {"faq": {"response": {"intent_response_key": "faq/best_partner_wins", "confidence": 0.71}}}


def test_a_routed_faq_question_stays_the_faq_answer_with_its_own_confidence():
    parse = {
        "intent": {"name": "explain_unavailability", "confidence": 1.0},
        "intent_ranking": [{"name": "explain_unavailability", "confidence": 1.0}, {"name": "faq", "confidence": 0.83},
                           {"name": "check_lead", "confidence": 0.1}],
        "routed_from": "faq",
        "response_selector": SELECTOR,
        "entities": [{"entity": "language", "value": "pt"}, {"entity": "domain", "value": "vinicola-serra.com.br"}],
    }
    found = understanding_from_parse(parse)
    assert (found.intent, found.faq_id, found.confidence, found.fallback, found.language) == (
        "faq", "best_partner_wins", 0.71, False, "pt")


def test_a_routed_fallback_is_still_a_fallback_with_the_best_real_reading():
    parse = {
        "intent": {"name": "check_lead", "confidence": 1.0},
        "intent_ranking": [{"name": "check_lead", "confidence": 1.0}, {"name": "nlu_fallback", "confidence": 0.45},
                           {"name": "greet", "confidence": 0.3}, {"name": "check_lead", "confidence": 0.2}],
        "routed_from": "nlu_fallback",
    }
    found = understanding_from_parse(parse)
    assert (found.intent, found.confidence, found.fallback) == ("greet", 0.3, True)


def test_an_unrouted_parse_is_read_as_it_is():
    parse = {"intent": {"name": "check_lead", "confidence": 0.9},
             "intent_ranking": [{"name": "check_lead", "confidence": 0.9}, {"name": "faq", "confidence": 0.05}]}
    found = understanding_from_parse(parse)
    assert (found.intent, found.confidence, found.fallback) == ("check_lead", 0.9, False)
