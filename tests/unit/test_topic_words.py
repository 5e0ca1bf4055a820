"""Keywords in any language: the tokeniser, the multilingual stop list, c-TF-IDF, and the
keywords of a real multilingual mini-corpus (tests/multilingual.py)."""

from __future__ import annotations

import numpy as np
import pytest

from indexing.vectors.clustering import keywords
from indexing.vectors.topic_words import ctfidf, stop_words, tokenise, top_words, word_counts
from tests.multilingual import CORPUS, FUNCTION_WORDS, TOPIC_WORDS


def corpus():
    texts, labels, languages = [], [], list(CORPUS)
    for cluster, language in enumerate(languages):
        texts += CORPUS[language]
        labels += [cluster] * len(CORPUS[language])
    return texts, np.array(labels), languages


@pytest.mark.parametrize("languages", [None, ("de", "it", "fr", "es", "en")])
def test_multilingual_keywords_name_the_topic_and_are_no_function_words(languages):
    texts, labels, order = corpus()
    found = keywords(texts, labels, len(order), top=5, languages=languages)
    for language, words in zip(order, found):
        assert len(words) == 5, (language, words)
        assert not set(words) & FUNCTION_WORDS, (language, words)
        assert len(set(words) & TOPIC_WORDS[language]) >= 3, (language, words)


def test_an_english_only_stop_list_names_clusters_by_function_words():
    """What this replaces: with scikit-learn's English list alone, c-TF-IDF still ranks
    German and Italian function words first, as they are frequent in one cluster only."""
    texts, labels, order = corpus()
    counts, vocabulary = word_counts(texts, labels, len(order), languages=("en",))
    english = top_words(counts, vocabulary, 5)
    assert set(english[order.index("de")]) & FUNCTION_WORDS
    assert set(english[order.index("it")]) & FUNCTION_WORDS


def test_stop_words_of_the_corpus_languages_only():
    german = stop_words(("de",))
    assert {"und", "der", "nicht"} <= german
    assert "che" not in german  # Italian: not a German stop word
    assert "the" in german  # the English list is always there
    assert {"che", "und", "les", "los"} <= stop_words(None)
    assert stop_words(("xx",)) == stop_words(None)  # an unknown code: every language's


def test_tokenise_scripts():
    assert tokenise("Der Steuerbescheid, l'impôt sur le revenu") == [
        "der", "steuerbescheid", "impôt", "sur", "revenu"]
    assert tokenise("Налоговая декларация подаётся") == ["налоговая", "декларация", "подаётся"]
    assert tokenise("Η φορολογική δήλωση") == ["φορολογική", "δήλωση"]
    assert tokenise("세금 신고") == ["세금", "신고"]  # Hangul words of two syllables are words
    assert tokenise("税务申报 ok abc 12 x9 covid19") == ["税务", "务申", "申报", "abc", "covid19"]
    assert tokenise("東京タワー") == ["東京", "京タ", "タワ", "ワー"]
    assert tokenise("und der zebra", frozenset({"und", "der"})) == ["zebra"]


def test_chinese_clusters_get_bigram_keywords():
    texts = ["税务申报需要提交收入证明", "税务机关审核申报材料", "足球比赛进球得分", "足球队赢得比赛"]
    found = keywords(texts, np.array([0, 0, 1, 1]), 2, top=3)
    assert {"税务", "申报"} <= set(found[0])
    assert {"足球", "比赛"} <= set(found[1])


def test_ctfidf_discounts_a_word_common_to_every_class():
    # word 0 is in both classes as often as word 1 is in class 0 alone
    counts = np.array([[5.0, 5.0, 0.0], [5.0, 0.0, 5.0]])
    scores = ctfidf(counts)
    assert scores[0, 1] > scores[0, 0] > 0
    assert scores[1, 2] > scores[1, 0]
    assert scores[0, 2] == 0
    # tf = 0.5, mean words per class 10, word 1's count 5: 0.5 * log(1 + 10 / 5)
    assert scores[0, 1] == pytest.approx(0.5 * np.log(3.0))
    assert top_words(counts, ["common", "left", "right"], 1) == [["left"], ["right"]]


def test_no_words_and_empty_clusters():
    assert word_counts(["123", "und der die"], np.array([0, 1]), 2, languages=("de",)) is None
    assert keywords(["und der die"], np.array([0]), 2, languages=("de",)) == [[], []]
