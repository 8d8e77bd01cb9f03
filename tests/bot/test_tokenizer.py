"""BilingualSpacyTokenizer: lookup lemmas, and Portuguese typed without accents reads as the same words."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import BilingualSpacyTokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return BilingualSpacyTokenizer(BilingualSpacyTokenizer.get_default_config())


def lemmas(tokenizer, text, language):
    message = Message(data={"text": text, "language": language})
    return [token.lemma for token in tokenizer.tokenize(message, "text")]


@pytest.mark.parametrize("accented, typed", [
    ("qual a comissão dos fornecedores de soluções?", "qual a comissao dos fornecedores de solucoes?"),
    ("os níveis são atualizados na revisão", "os niveis sao atualizados na revisao"),
    ("você já recebeu a certificação?", "voce ja recebeu a certificacao?"),
    ("Não sei quando o registro expirou", "nao sei quando o registro expirou"),
])
def test_portuguese_without_accents_has_the_lemmas_of_the_accented_words(tokenizer, accented, typed):
    assert lemmas(tokenizer, typed, "pt") == lemmas(tokenizer, accented, "pt")


def test_inflected_forms_share_a_lemma(tokenizer):
    assert lemmas(tokenizer, "registrei registrado registramos", "pt") == ["registrar"] * 3
    assert lemmas(tokenizer, "niveis nivel", "pt") == ["nivel", "nivel"]
    assert lemmas(tokenizer, "registered leads expires", "en") == ["register", "lead", "expire"]


def test_an_unaccented_spelling_that_is_a_word_of_its_own_keeps_its_lemma(tokenizer):
    # "esta" (this) is not "está" (is): only spellings the lookup table lacks borrow a lemma
    assert lemmas(tokenizer, "esta", "pt") == ["este"]
    assert lemmas(tokenizer, "está", "pt") == ["estar"]


def test_unknown_words_and_domains_keep_their_text(tokenizer):
    assert lemmas(tokenizer, "xptoagencia acme.com.br", "pt") == ["xptoagencia", "acme.com.br"]
