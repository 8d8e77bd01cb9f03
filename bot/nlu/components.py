"""Rasa NLU components of partnerbot (registered with Rasa's default recipe; named in config.yml).

- LanguageDetector: sets the message's language ('pt'/'en') before anything else runs.
- BilingualSpacyTokenizer: tokenises and lemmatises with the saved blank spaCy pipeline
  of the message's language (built by `partnerbot nlp build` into var/spacy/).
- PatternEntityExtractor: spaCy Matcher patterns (data/patterns/entities.yml) for domains,
  emails, HubSpot products and editions, money, months, packages and partner ids, plus the
  `language` entity the language slot reads.
- LeadIntentRouter: after the classifiers, a message naming a lead that was read as a lead
  FAQ, small talk or unsure becomes a lead check (data/patterns/lead_routes.yml).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.language import detect_language
from bot.nlu import spacy_pipelines
from rules.folding import fold

LANGUAGE_KEY = "language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Detects Portuguese or English per message; `None` when the text does not tell."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"min_confidence": 0.7}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._min_confidence = config.get("min_confidence", 0.7)

    @classmethod
    def create(cls, config, model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext):
        return cls(config)

    def _detect(self, message: Message) -> None:
        text = message.get(TEXT)
        if isinstance(text, str) and text:
            message.set(LANGUAGE_KEY, detect_language(text, self._min_confidence))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._detect(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._detect(message)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BilingualSpacyTokenizer(Tokenizer):
    """Tokens and lookup lemmas from the blank spaCy pipeline of the message's language."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            "spacy_dir": "var/spacy",
            "default_language": "pt",
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        directory = Path(os.environ.get("PARTNERBOT_SPACY_DIR") or config.get("spacy_dir") or "var/spacy")
        self._pipelines = spacy_pipelines.load_all(directory)
        self._folded = {lang: spacy_pipelines.folded_lemmas(directory, lang) for lang in self._pipelines}
        self._default = config.get("default_language", "pt")

    def _language(self, message: Message, attribute: Text, text: Text) -> Text:
        if attribute == TEXT and message.get(LANGUAGE_KEY):
            return message.get(LANGUAGE_KEY)
        return detect_language(text) or self._default

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        if not isinstance(text, str) or not text.strip():
            return []
        language = self._language(message, attribute, text)
        nlp, folded = self._pipelines[language], self._folded[language]
        lowered = text.lower()
        doc = nlp(lowered if len(lowered) == len(text) else text)
        if attribute == TEXT:
            message.set(SPACY_DOCS[TEXT], doc)
        tokens = [Token(t.text, t.idx, lemma=self.lemma(t, folded)) for t in doc if t.text.strip()]
        return self._apply_token_pattern(tokens)

    @staticmethod
    def lemma(token, folded: dict) -> Text:
        """The lookup lemma, without accents; an unaccented spelling the table lacks ("comissao",
        "niveis") gets its accented form's lemma, so both spellings are one feature."""
        lemma = folded.get(token.text) or token.lemma_ or token.text
        return fold(lemma)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class PatternEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Entities from spaCy Matcher patterns, with values normalised for the rules engine."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"spacy_dir": "var/spacy"}

    def __init__(self, config: Dict[Text, Any]) -> None:
        from bot.nlu.patterns import EntityPatterns

        directory = Path(os.environ.get("PARTNERBOT_SPACY_DIR") or config.get("spacy_dir") or "var/spacy")
        self._patterns = EntityPatterns(spacy_pipelines.load_all(directory))

    @classmethod
    def create(cls, config, model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext):
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            language = message.get(LANGUAGE_KEY)
            found = self._patterns.extract(text, language or "pt")
            if language:
                found.append({"entity": "language", "value": language, "start": 0, "end": 0, "confidence": 1.0})
            for entity in found:
                entity["extractor"] = self.__class__.__name__
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


ROUTES_FILE = Path(__file__).resolve().parents[2] / "data" / "patterns" / "lead_routes.yml"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LeadIntentRouter(GraphComponent):
    """A message naming a lead (domain/email) that was read as an FAQ question (but for those
    where a domain belongs to the question), small talk or was unsure becomes a lead check or
    an unavailability explanation (data/patterns/lead_routes.yml).

    Runs after the classifiers and the FallbackClassifier; the original reading stays in the
    intent ranking. Only the routing is decided here: the verdicts come from the rules engine.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"routes_file": str(ROUTES_FILE)}

    def __init__(self, config: Dict[Text, Any]) -> None:
        import yaml

        with open(config.get("routes_file") or ROUTES_FILE, encoding="utf-8") as handle:
            routes = yaml.safe_load(handle)
        self._entities = set(routes["lead_entities"])
        self._explain_faq = set(routes["explain_from_faq"])
        self._kept_faq = set(routes["faq_kept_with_lead"])
        self._check_intents = set(routes["check_from_intents"])
        self._check_intent = routes["check_intent"]
        self._register_intent = routes["register_intent"]
        self._explain_intent = routes["explain_intent"]
        self._lead_intents = (self._check_intent, self._register_intent, self._explain_intent)

    @classmethod
    def create(cls, config, model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext):
        return cls(config)

    def route(self, message: Message) -> Optional[Text]:
        """The intent the message is routed to, or None when its reading stands."""
        if not any(e.get("entity") in self._entities for e in message.get(ENTITIES) or []):
            return None
        intent = (message.get(INTENT) or {}).get("name")
        if intent in self._check_intents:
            return self._lead_intent(message)
        if intent != "faq":
            return None
        selector = (message.get("response_selector") or {}).get("faq") or {}
        key = ((selector.get("response") or {}).get("intent_response_key") or "").split("/", 1)[-1]
        if not key or key in self._kept_faq:
            return None
        if key in self._explain_faq:
            return self._explain_intent
        return self._lead_intent(message)

    def _lead_intent(self, message: Message) -> Text:
        """The lead intent (check, registration or explanation) the classifier ranked highest;
        the check when it ranked none ("I just checked acme.com.br and it came back unavailable,
        why?" is unsure between the explanation and the check, and is an explanation)."""
        for ranked in message.get(INTENT_RANKING_KEY) or []:
            if ranked.get("name") in self._lead_intents:
                return ranked["name"]
        return self._check_intent

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            target = self.route(message)
            if target is None:
                continue
            original = message.get(INTENT) or {}
            routed = {"name": target, "confidence": 1.0}
            ranking = [routed] + [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != target]
            message.set(INTENT, routed, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set("routed_from", original.get("name"), add_to_output=True)
        return messages
