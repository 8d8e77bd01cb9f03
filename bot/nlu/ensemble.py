"""LinearIntentEnsemble: a linear model over lemmas and character n-grams, averaged with DIET and
the ResponseSelector, decides the intent and the FAQ answer.

Why: with a few dozen examples per label, a regularised linear model generalises to unseen
wordings better than DIET and the ResponseSelector trained from scratch (held-out split,
`make eval`), and it is deterministic where their results move with initialisation. The
neural models still vote: each label's score is

    weight × P_linear(label) + (1 − weight) × P_DIET(intent) × P_ResponseSelector(answer | faq)

over the full labels (`greet`, `check_lead`, `faq/app_list`…). The component runs after both
and writes its decision in their places (intent, intent ranking, the `faq` response selection
and its ranking) so that the FallbackClassifier, the LeadIntentRouter, the actions and the
triage read one answer. Features are the tokenizer's folded lemmas (word uni- and bigrams)
and character 2-4-grams of them (typos, missing accents), TF-IDF weighted.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

SELECTOR = "response_selector"
MODEL_FILE = "linear_intent_ensemble.joblib"


def lemma_text(message: Message) -> Text:
    """The message as the tokenizer read it: its lemmas, space-separated."""
    return " ".join(token.lemma or token.text for token in message.get(TOKENS_NAMES[TEXT]) or [])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentEnsemble(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "weight": 0.7,  # the linear model's share of each label's score; DIET x ResponseSelector have the rest
            "C": 20.0,  # inverse regularisation of the logistic regression
            "max_char_features": 50000,
            "retrieval_intent": "faq",
            "ranking_length": 10,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[dict] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._model = model  # {"vectorizer": …, "classifier": …}

    @classmethod
    def create(cls, config, model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext):
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config, model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext,
             **kwargs: Any):
        import joblib

        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("LinearIntentEnsemble: no trained model; DIET and the ResponseSelector decide alone")
            model = None
        return cls(config, model_storage, resource, model)

    # ------------------------------------------------------------------------------------ training

    def _vectorizer(self):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_union

        return make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+"),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                            max_features=self._config["max_char_features"]),
        )

    def train(self, training_data: TrainingData) -> Resource:
        import joblib
        from sklearn.linear_model import LogisticRegression

        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        texts = [lemma_text(m) for m in examples]
        labels = [m.get_full_intent() for m in examples]
        if len(set(labels)) < 2:
            logger.warning("LinearIntentEnsemble: fewer than two labels to learn; not trained")
            return self._resource
        vectorizer = self._vectorizer()
        features = vectorizer.fit_transform(texts)
        classifier = LogisticRegression(C=self._config["C"], max_iter=3000).fit(features, labels)
        self._model = {"vectorizer": vectorizer, "classifier": classifier}
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self._model, directory / MODEL_FILE)
        return self._resource

    # ------------------------------------------------------------------------------------ inference

    def linear_scores(self, message: Message) -> Dict[Text, float]:
        vectorizer, classifier = self._model["vectorizer"], self._model["classifier"]
        probabilities = classifier.predict_proba(vectorizer.transform([lemma_text(message)]))[0]
        return dict(zip(classifier.classes_, probabilities))

    def neural_scores(self, message: Message) -> Dict[Text, float]:
        """P_DIET(intent) for every ranked intent, P_DIET(faq) x P_RS(answer) for every ranked answer."""
        retrieval = self._config["retrieval_intent"]
        scores: Dict[Text, float] = {}
        faq = 0.0
        for ranked in message.get(INTENT_RANKING_KEY) or []:
            if ranked.get("name") == retrieval:
                faq = float(ranked.get("confidence") or 0.0)
            elif ranked.get("name"):
                scores[ranked["name"]] = float(ranked.get("confidence") or 0.0)
        selection = (message.get(SELECTOR) or {}).get(retrieval) or {}
        for ranked in selection.get("ranking") or []:
            key = ranked.get("intent_response_key")
            if key:
                scores[key] = faq * float(ranked.get("confidence") or 0.0)
        return scores

    def scores(self, message: Message) -> Dict[Text, float]:
        weight = float(self._config["weight"])
        linear, neural = self.linear_scores(message), self.neural_scores(message)
        return {label: weight * linear.get(label, 0.0) + (1 - weight) * neural.get(label, 0.0)
                for label in set(linear) | set(neural)}

    def decide(self, message: Message, scores: Dict[Text, float]) -> None:
        """Write the decision where DIET and the ResponseSelector wrote theirs."""
        retrieval, length = self._config["retrieval_intent"], int(self._config["ranking_length"])
        prefix = retrieval + "/"
        answers = sorted(((k, v) for k, v in scores.items() if k.startswith(prefix)), key=lambda kv: -kv[1])
        intents = {k: v for k, v in scores.items() if not k.startswith(prefix)}
        if answers:
            intents[retrieval] = answers[0][1]
        ranking = sorted(intents.items(), key=lambda kv: -kv[1])[:length]
        top_name, top_score = ranking[0]
        message.set(INTENT, {"name": top_name, "confidence": float(top_score)}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": float(s)} for n, s in ranking], add_to_output=True)
        if not answers:
            return
        total = sum(v for _, v in answers) or 1.0
        selectors = dict(message.get(SELECTOR) or {})
        previous = dict(selectors.get(retrieval) or {})
        key, score = answers[0]
        kept = previous.get("response") or {}
        selectors[retrieval] = {
            **previous,
            "response": {
                "responses": kept.get("responses") if kept.get("intent_response_key") == key else [],
                "confidence": float(score / total),
                "intent_response_key": key,
                "utter_action": "utter_" + key,
            },
            "ranking": [{"confidence": float(v / total), "intent_response_key": k} for k, v in answers[:length]],
        }
        message.set(SELECTOR, selectors, add_to_output=True)

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None:
            return messages
        for message in messages:
            if message.get(TOKENS_NAMES[TEXT]):
                self.decide(message, self.scores(message))
        return messages
