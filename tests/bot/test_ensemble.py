"""LinearIntentEnsemble: the linear model and DIET x ResponseSelector vote; the decision replaces theirs
everywhere the fallback, the router, the actions and the triage read it."""
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.components import BilingualSpacyTokenizer
from bot.nlu.ensemble import LinearIntentEnsemble

EXAMPLES = {
    "greet": ["hello", "hi there", "good morning", "hey team", "olá", "oi pessoal", "bom dia"],
    "check_lead": ["is acme.com free to register?", "check lead globex.io", "lead status for initech.com",
                   "o domínio padaria.com.br está disponível?", "verifica o lead loja.pt"],
    "faq/tiers_update_frequency": ["when are tiers updated?", "how often do tiers change", "tier update date",
                                   "quando os níveis são atualizados?", "com que frequência muda o nível"],
    "faq/app_list": ["which apps count for utilisation?", "list of the apps", "what apps are counted",
                     "quais apps contam?", "lista de aplicativos da utilização"],
}


@pytest.fixture(scope="module")
def tokenizer():
    return BilingualSpacyTokenizer(BilingualSpacyTokenizer.get_default_config())


def message(tokenizer, text, **data):
    msg = Message(data={"text": text, **data})
    tokenizer.process([msg])
    return msg


def training_message(tokenizer, text, label):
    intent, _, answer = label.partition("/")
    data = {"intent": intent}
    if answer:
        data["intent_response_key"] = label
    return message(tokenizer, text, **data)


@pytest.fixture(scope="module")
def trained(tokenizer, tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("ensemble")
    component = LinearIntentEnsemble({}, storage, resource)
    data = TrainingData([training_message(tokenizer, t, label) for label, texts in EXAMPLES.items() for t in texts])
    component.train(data)
    return storage, resource


def component(trained, **config):
    storage, resource = trained
    return LinearIntentEnsemble.load({**LinearIntentEnsemble.get_default_config(), **config}, storage, resource, None)


def neural(tokenizer, text, intent_ranking, faq_ranking=()):
    msg = message(tokenizer, text)
    msg.set("intent", intent_ranking[0])
    msg.set("intent_ranking", list(intent_ranking))
    msg.set("response_selector", {"all_retrieval_intents": ["faq"], "faq": {
        "response": {"intent_response_key": faq_ranking[0]["intent_response_key"] if faq_ranking else None,
                     "responses": [{"text": "kept"}], "confidence": 1.0},
        "ranking": list(faq_ranking)}})
    return msg


def test_a_trained_model_is_saved_and_loaded_back(trained):
    assert component(trained)._model is not None


def test_the_linear_model_alone_picks_the_faq_answer_and_writes_it_as_the_response_selection(tokenizer, trained):
    msg = neural(tokenizer, "how often are the tiers updated", [{"name": "greet", "confidence": 1.0}])
    component(trained, weight=1.0).process([msg])
    assert msg.get("intent")["name"] == "faq"
    selection = msg.get("response_selector")["faq"]
    assert selection["response"]["intent_response_key"] == "faq/tiers_update_frequency"
    assert selection["response"]["utter_action"] == "utter_faq/tiers_update_frequency"
    assert [r["intent_response_key"] for r in selection["ranking"]][0] == "faq/tiers_update_frequency"
    assert sum(r["confidence"] for r in selection["ranking"]) == pytest.approx(1.0)
    assert msg.get("response_selector")["all_retrieval_intents"] == ["faq"]  # what the selector wrote besides stays


def test_with_no_linear_weight_diet_times_the_response_selector_decides(tokenizer, trained):
    msg = neural(tokenizer, "how often are the tiers updated",
                 [{"name": "faq", "confidence": 0.8}, {"name": "greet", "confidence": 0.2}],
                 [{"intent_response_key": "faq/app_list", "confidence": 0.9},
                  {"intent_response_key": "faq/tiers_update_frequency", "confidence": 0.1}])
    component(trained, weight=0.0).process([msg])
    assert msg.get("intent") == {"name": "faq", "confidence": pytest.approx(0.72)}
    assert msg.get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/app_list"
    assert msg.get("response_selector")["faq"]["response"]["responses"] == [{"text": "kept"}]


def test_the_scores_are_the_weighted_average_of_both_models(tokenizer, trained):
    ensemble = component(trained, weight=0.6)
    msg = neural(tokenizer, "hello there", [{"name": "greet", "confidence": 0.5}, {"name": "faq", "confidence": 0.5}],
                 [{"intent_response_key": "faq/app_list", "confidence": 1.0}])
    linear = ensemble.linear_scores(msg)
    scores = ensemble.scores(msg)
    assert scores["greet"] == pytest.approx(0.6 * linear["greet"] + 0.4 * 0.5)
    assert scores["faq/app_list"] == pytest.approx(0.6 * linear["faq/app_list"] + 0.4 * 0.5)
    assert scores["check_lead"] == pytest.approx(0.6 * linear["check_lead"])


def test_the_intent_ranking_has_one_faq_entry_scored_by_its_best_answer(tokenizer, trained):
    msg = neural(tokenizer, "bom dia pessoal", [{"name": "greet", "confidence": 1.0}])
    ensemble = component(trained)
    ensemble.process([msg])
    ranking = msg.get("intent_ranking")
    names = [r["name"] for r in ranking]
    assert names[0] == "greet" == msg.get("intent")["name"]
    assert names.count("faq") == 1 and not any(n.startswith("faq/") for n in names)
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)


def test_messages_without_tokens_are_left_as_they_are(trained):
    msg = Message(data={"text": ""})
    component(trained).process([msg])
    assert msg.get("intent") is None


def test_without_a_trained_model_diet_and_the_selector_stand(tokenizer, tmp_path):
    untrained = LinearIntentEnsemble.load(LinearIntentEnsemble.get_default_config(), LocalModelStorage(tmp_path),
                                          Resource("nothing"), None)
    msg = neural(tokenizer, "hello", [{"name": "greet", "confidence": 0.9}])
    untrained.process([msg])
    assert msg.get("intent") == {"name": "greet", "confidence": 0.9}
