"""LeadIntentRouter: a message naming a lead is about that lead, whatever FAQ the classifier
thought it resembled (data/patterns/lead_routes.yml)."""
import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import ROUTES_FILE, LeadIntentRouter, PatternEntityExtractor

ROUTES = yaml.safe_load(ROUTES_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def router():
    return LeadIntentRouter(LeadIntentRouter.get_default_config())


@pytest.fixture(scope="module")
def extractor():
    return PatternEntityExtractor(PatternEntityExtractor.get_default_config())


def parsed(text, intent, faq=None, language="en", extractor=None, entities=None):
    message = Message(data={"text": text, "language": language})
    if extractor is not None:
        extractor.process([message])
    if entities is not None:
        message.set("entities", entities)
    message.set("intent", {"name": intent, "confidence": 0.61})
    message.set("intent_ranking", [{"name": intent, "confidence": 0.61}, {"name": "check_lead", "confidence": 0.2}])
    if faq:
        message.set("response_selector", {"faq": {"response": {"intent_response_key": f"faq/{faq}"}}})
    return message


FAQ_IDS = sorted(p.stem for p in (ROUTES_FILE.parents[1] / "faq").glob("*.yml") if p.stem != "README")
CHECK_FAQ = [f for f in FAQ_IDS if f not in ROUTES["faq_kept_with_lead"] + ROUTES["explain_from_faq"]]


def test_the_routes_name_real_faq_answers():
    assert len(FAQ_IDS) == 49
    assert set(ROUTES["faq_kept_with_lead"] + ROUTES["explain_from_faq"]) <= set(FAQ_IDS)


@pytest.mark.parametrize("faq", CHECK_FAQ)
def test_a_lead_faq_with_a_domain_becomes_a_lead_check(router, extractor, faq):
    message = parsed("is brightwave.io free to register?", "faq", faq, extractor=extractor)
    router.process([message])
    assert message.get("intent") == {"name": "check_lead", "confidence": 1.0}
    ranking = [r["name"] for r in message.get("intent_ranking")]
    assert ranking[0] == "check_lead" and ranking.count("check_lead") == 1 and "faq" in ranking
    assert message.get("routed_from") == "faq"


@pytest.mark.parametrize("first, second, routed", [
    ("register_lead", "check_lead", "register_lead"),
    ("check_lead", "register_lead", "check_lead"),
    ("explain_unavailability", "check_lead", "explain_unavailability"),
    ("check_lead", "explain_unavailability", "check_lead"),
    ("greet", "thank", "check_lead"),  # no lead intent ranked: the check
])
@pytest.mark.parametrize("intent, faq", [("faq", "lead_registration_how_works"), ("nlu_fallback", None)])
def test_a_routed_lead_message_is_the_lead_intent_the_classifier_ranked_highest(
        router, extractor, first, second, routed, intent, faq):
    message = parsed("please register gekkoandco.com as our lead", intent, faq, extractor=extractor)
    message.set("intent_ranking", [{"name": intent, "confidence": 0.5}, {"name": first, "confidence": 0.3},
                                   {"name": second, "confidence": 0.1}])
    router.process([message])
    assert message.get("intent") == {"name": routed, "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")].count(routed) == 1


@pytest.mark.parametrize("faq", ROUTES["explain_from_faq"])
def test_an_unavailability_faq_with_a_domain_becomes_an_explanation(router, extractor, faq):
    message = parsed("o que significa indisponivel para acme.com.br?", "faq", faq, "pt", extractor=extractor)
    router.process([message])
    assert message.get("intent")["name"] == "explain_unavailability"


@pytest.mark.parametrize("intent", ROUTES["check_from_intents"])
def test_unsure_or_small_talk_naming_an_email_becomes_a_lead_check(router, extractor, intent):
    message = parsed("oi, e o lead joao@padaria-silva.com.br?", intent, language="pt", extractor=extractor)
    router.process([message])
    assert message.get("intent")["name"] == "check_lead"


@pytest.mark.parametrize(
    "text, intent, faq",
    [
        ("is brightwave.io free to register?", "faq", None),  # no FAQ chosen: stays
        ("do I get commission if they buy on acme.io instead of acme.com?", "faq", "commission_different_domain"),
        ("brightwave.io is missing from my dashboard", "faq", "dashboard_client_missing"),
        ("how much commission for brightwave.io?", "estimate_commission", None),
        ("register brightwave.io", "register_lead", None),
        ("brightwave.io", "inform", None),
    ],
)
def test_other_readings_with_a_domain_stand(router, extractor, text, intent, faq):
    message = parsed(text, intent, faq, extractor=extractor)
    router.process([message])
    assert message.get("intent")["name"] == intent
    assert message.get("routed_from") is None


@pytest.mark.parametrize(
    "text, faq",
    [
        ("when is the best time to register a lead?", "lead_best_time_register"),
        ("quando devo registrar um lead?", "lead_best_time_register"),
        ("what does unavailable mean?", "lead_unavailable_meaning"),
    ],
)
def test_the_faq_without_a_lead_named_stays_the_faq(router, extractor, text, faq):
    message = parsed(text, "faq", faq, extractor=extractor)
    router.process([message])
    assert message.get("intent")["name"] == "faq"


def test_the_language_entity_alone_does_not_route(router):
    message = parsed("hello", "greet", entities=[{"entity": "language", "value": "en"}])
    router.process([message])
    assert message.get("intent")["name"] == "greet"
