"""The words that name a cluster, in any language: a Unicode tokeniser, a multilingual stop
list and class-based TF-IDF.

A cluster is named by the words frequent in it and rare in the other clusters: c-TF-IDF
as in BERTopic, the term frequency per cluster weighted by log(1 + mean words per cluster /
the term's count across all clusters), so a word common to every cluster (a function word
of any language) scores low. That alone is not enough on a corpus where each language
forms its own clusters (German function words are frequent in the German clusters only),
so the words of the stopwords-iso lists (58 languages, the PyPI package `stopwordsiso`) of
the languages the corpus holds are dropped first, and on a corpus of 100 documents or
more, so is any word found in more than half of all documents.

Tokens are runs of Unicode letters (and digits after the first letter), lower-cased, of
at least 3 characters (2 in Hangul), so Cyrillic, Greek, Arabic, Devanagari or Hangul
words count as words. Chinese and Japanese have no spaces: a run of Han or kana characters
becomes its overlapping character bigrams (a stated approximation of words; Thai, Khmer
and Lao, also written without spaces, get no better than whole runs).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

KEYWORD_TEXT_CHARS = 2_000  # enough text per document to characterise a topic
MAX_FEATURES = 50_000
MAX_DOC_SHARE = 0.5  # a word in more documents than this share names no topic
MIN_DOCS_FOR_SHARE = 100  # below this many documents the share says too little
WORD = re.compile(r"[^\W\d_][^\W_]*")
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
CJK_SPLIT = re.compile(f"({CJK_RUN.pattern})")
HANGUL = re.compile(r"[\uac00-\ud7af]")


@lru_cache(maxsize=16)
def stop_words(languages: tuple[str, ...] | None = None) -> frozenset[str]:
    """The stopwords-iso words of `languages` (ISO 639-1 codes; None or unknown codes only:
    every language it lists), with scikit-learn's English list always added."""
    import stopwordsiso
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    known = set(stopwordsiso.langs())
    chosen = [code for code in (languages or ()) if code in known] or sorted(known)
    return frozenset(w.lower() for w in stopwordsiso.stopwords(chosen)) | ENGLISH_STOP_WORDS


def tokenise(text: str, stop: frozenset[str] = frozenset()) -> list[str]:
    """The words of `text` that may name a topic (see the module's docstring)."""
    text = text.lower()
    if not CJK_RUN.search(text):  # the common case: one regex pass, one comprehension
        return [w for w in WORD.findall(text)
                if (len(w) >= 3 or (len(w) == 2 and HANGUL.search(w))) and w not in stop]
    words = []
    for run in WORD.findall(text):
        for part in CJK_SPLIT.split(run):
            if CJK_RUN.fullmatch(part):
                words.extend(part[i:i + 2] for i in range(len(part) - 1))
            elif len(part) >= 3 or (len(part) == 2 and HANGUL.search(part)):
                words.append(part)
    return [w for w in words if w not in stop]


def word_counts(texts: Iterable[str], labels: np.ndarray, k: int,
                languages: Sequence[str] | None = None):
    """(counts, vocabulary): each cluster's word counts (a k x V float64 array, clusters
    0..k-1 by `labels`) over the first KEYWORD_TEXT_CHARS of each text; None when no text
    holds a word."""
    from scipy import sparse  # here, not at import: scikit-learn and scipy cost the app ~1 s to start
    from sklearn.feature_extraction.text import CountVectorizer

    stop = stop_words(tuple(sorted(languages)) if languages else None)
    texts = [t[:KEYWORD_TEXT_CHARS] for t in texts]
    share = MAX_DOC_SHARE if len(texts) >= MIN_DOCS_FOR_SHARE else 1.0
    vectorizer = CountVectorizer(analyzer=lambda text: tokenise(text, stop), max_df=share,
                                 max_features=MAX_FEATURES)
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # no words at all (only numbers, punctuation or stop words)
        return None
    membership = sparse.csr_matrix(
        (np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(k, len(labels))
    )
    per_cluster = np.asarray((membership @ counts).todense(), dtype=np.float64)
    return per_cluster, vectorizer.get_feature_names_out()


def ctfidf(counts: np.ndarray) -> np.ndarray:
    """Class-based TF-IDF of a classes x words count matrix: tf (a word's share of its
    class's words) times log(1 + mean words per class / the word's count in all classes)."""
    words_per_class = counts.sum(axis=1, keepdims=True)
    tf = counts / np.maximum(words_per_class, 1)
    average_words = max(float(words_per_class.mean()), 1.0) if len(counts) else 1.0
    idf = np.log1p(average_words / np.maximum(counts.sum(axis=0), 1))
    return tf * idf


def top_words(counts: np.ndarray, vocabulary: Sequence[str], top: int) -> list[list[str]]:
    """The `top` words of each class by c-TF-IDF (an empty list for a class without words)."""
    scores = ctfidf(counts)
    result = []
    for row, total in zip(scores, counts.sum(axis=1)):
        if total == 0:
            result.append([])
            continue
        best = np.argsort(-row, kind="stable")[:top]
        result.append([str(vocabulary[i]) for i in best if row[i] > 0])
    return result


__all__ = ["ctfidf", "stop_words", "tokenise", "top_words", "word_counts"]
