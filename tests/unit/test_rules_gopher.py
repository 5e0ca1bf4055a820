"""Gopher's quality and repetition measures on hand-checked texts (indexing/signals/rules/gopher.py).

Every expected value below was worked out by hand from the definitions in the module's
docstring; the comments show the working.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from indexing.curate.thresholds import Rule
from indexing.signals.rules import PRESETS, SUITES, compute_rules
from indexing.signals.rules.gopher import BULLETS, STOP_WORDS
from indexing.signals.rules.ngrams import WordBatch


def gopher(*texts: str) -> list[dict]:
    """One dict of column -> value per text."""
    columns = SUITES["gopher"].compute(list(texts))
    return [{name: values[i].as_py() for name, values in columns.items()} for i in range(len(texts))]


def one(text: str) -> dict:
    return gopher(text)[0]


# --- quality ------------------------------------------------------------------------


QUALITY_TEXT = "The cat sat on the mat.\nIt was a good day, with sun...\n\n# notes\n- one\n- two"


def test_quality_measures_on_a_worked_example():
    got = one(QUALITY_TEXT)
    # tokens: The cat sat on the mat. It was a good day, with sun... # notes - one - two
    # words (punctuation stripped, "#" and "-" are no words): 16, of lengths
    # 3 3 3 2 3 3 | 2 3 1 4 3 4 3 | 5 3 3 = 48
    assert got["gopher_word_count"] == 16
    assert got["gopher_mean_word_length"] == 48 / 16
    # one "#", one "..." -> max(1, 1) / 16 words
    assert got["gopher_symbol_word_ratio"] == 1 / 16
    # 5 non-empty lines (the blank one does not count): 2 start with "-", 1 ends with "..."
    assert got["gopher_bullet_line_frac"] == 2 / 5
    assert got["gopher_ellipsis_line_frac"] == 1 / 5
    assert got["gopher_alpha_word_frac"] == 1.0
    # The, the, with (case-insensitive; "on" and "a" are not on the list)
    assert got["gopher_stop_word_count"] == 3


def test_words_without_letters_lower_the_alphabetic_fraction_and_unicode_counts_as_letters():
    got = one("naïve café déjà vu 42 3.14 über")
    # words: naïve 5, café 4, déjà 4, vu 2, 42 2, 3.14 4, über 4 -> 7 words, 25 characters;
    # 42 and 3.14 hold no letter
    assert got["gopher_word_count"] == 7
    assert got["gopher_mean_word_length"] == 25 / 7
    assert got["gopher_alpha_word_frac"] == 5 / 7
    assert got["gopher_stop_word_count"] == 0


def test_the_hash_or_the_ellipsis_whichever_is_more_sets_the_symbol_ratio():
    assert one("#a #b #c d")["gopher_symbol_word_ratio"] == 3 / 4  # 3 hashes, 4 words
    assert one("wait… and… then... go")["gopher_symbol_word_ratio"] == 3 / 4  # 2 "…" + 1 "..."
    assert one("## heading\n" + "word " * 19)["gopher_symbol_word_ratio"] == 2 / 20


def test_every_bullet_character_starts_a_bullet_line_after_leading_spaces():
    lines = [f"  {bullet} item" for bullet in BULLETS] + ["plain line", "another plain one"]
    got = one("\n".join(lines))
    assert got["gopher_bullet_line_frac"] == len(BULLETS) / (len(BULLETS) + 2)


def test_stop_words_are_counted_as_occurrences_in_any_case_and_punctuation():
    assert one("THE cat, (the) dog; The.")["gopher_stop_word_count"] == 3
    assert one("Theory bend tooth others")["gopher_stop_word_count"] == 0  # no part-words
    assert STOP_WORDS == {"the", "be", "to", "of", "and", "that", "have", "with"}


def test_a_text_without_words_has_no_ratios_but_zero_counts():
    got = one("### ... --- !!!")
    assert got["gopher_word_count"] == 0 and got["gopher_stop_word_count"] == 0
    for name in ("gopher_mean_word_length", "gopher_symbol_word_ratio", "gopher_alpha_word_frac",
                 "gopher_top_2gram_char_frac", "gopher_dup_5gram_char_frac"):
        assert got[name] is None, name  # stored as null: a bound on it removes the document
    assert got["gopher_bullet_line_frac"] == 0.0  # one line, "#" is no bullet
    assert got["gopher_ellipsis_line_frac"] == 0.0  # it ends with "!!!"


def test_blank_lines_count_for_nothing():
    got = one("- a\n\n\n- b\n   \n- c\n\nd")
    # non-empty lines: "- a", "- b", "- c", "d"; the one of spaces is blank
    assert got["gopher_bullet_line_frac"] == 3 / 4
    assert got["gopher_dup_line_frac"] == 0.0 and got["gopher_dup_para_frac"] == 0.0


# --- repetition ---------------------------------------------------------------------

# Two identical paragraphs of three lines, then "end line":
REPEATED = "x y z\nx y z\nfoo bar\n\nx y z\nx y z\nfoo bar\n\nend line"


def test_duplicate_lines_and_paragraphs_on_a_worked_example():
    got = one(REPEATED)
    # non-empty lines: x y z | x y z | foo bar | x y z | x y z | foo bar | end line (7);
    # repeats of an earlier line: lines 2, 4, 5, 6 -> 4, of 5 + 5 + 5 + 7 = 22 characters;
    # characters of the text without line breaks: 5+5+7+0+5+5+7+0+8 = 42
    assert got["gopher_dup_line_frac"] == 4 / 7
    assert got["gopher_dup_line_char_frac"] == 22 / 42
    # paragraphs: "x y z\nx y z\nfoo bar" twice, "end line": one repeat of 17 characters
    assert got["gopher_dup_para_frac"] == 1 / 3
    assert got["gopher_dup_para_char_frac"] == 17 / 42


def test_top_and_duplicate_ngram_fractions_on_a_worked_example():
    got = one(REPEATED)
    # words: x y z x y z foo bar | x y z x y z foo bar | end line (18 words); characters:
    # twelve 1-letter words, foo/bar twice (12), end 3, line 4 -> 31
    # top 2-gram: "x y" and "y z" occur 4 times each (2 characters); the tie goes to the one
    # that appears first, "x y", covering 8 one-letter words
    assert got["gopher_top_2gram_char_frac"] == 8 / 31
    # top 3-gram: "x y z", 4 times: all twelve one-letter words
    assert got["gopher_top_3gram_char_frac"] == 12 / 31
    # top 4-grams occur twice; the one with most characters is "y z foo bar" (8): 16 characters
    assert got["gopher_top_4gram_char_frac"] == 16 / 31
    # 5- to 8-grams inside the repeated half "x y z x y z foo bar" repeat: its words, twice,
    # are covered (31 - 3 - 4 = 24 characters); no 9- or 10-gram repeats
    for n in (5, 6, 7, 8):
        assert got[f"gopher_dup_{n}gram_char_frac"] == 24 / 31, n
    assert got["gopher_dup_9gram_char_frac"] == 0.0
    assert got["gopher_dup_10gram_char_frac"] == 0.0


def test_overlapping_occurrences_count_each_word_once():
    got = one("a a a a a a")
    # "a a" occurs 5 times (overlapping) but covers the 6 words once: fraction 1, not 5/3
    assert got["gopher_top_2gram_char_frac"] == 1.0
    assert got["gopher_dup_5gram_char_frac"] == 1.0  # "a a a a a" at 0 and 1
    assert got["gopher_dup_6gram_char_frac"] == 0.0  # occurs once


def test_text_with_no_repeated_ngram_scores_zero_and_short_text_has_no_long_ngrams():
    got = one("every word here differs from all others")
    assert all(got[f"gopher_top_{n}gram_char_frac"] == 0.0 for n in (2, 3, 4))
    assert all(got[f"gopher_dup_{n}gram_char_frac"] == 0.0 for n in range(5, 11))
    assert one("one")["gopher_top_2gram_char_frac"] == 0.0


def test_ngrams_never_cross_from_one_document_into_the_next():
    # alone, neither text repeats a 2-gram; glued together "b c" would appear twice
    first, second = gopher("a b c", "b c d")
    assert first["gopher_top_2gram_char_frac"] == 0.0 and second["gopher_top_2gram_char_frac"] == 0.0
    assert gopher("a b c b c", "x")[0]["gopher_top_2gram_char_frac"] == 4 / 5


def _reference(words: list[str], n: int, top: bool) -> float:
    """The definition, written the slow and obvious way."""
    total = sum(map(len, words))
    if total == 0:
        return math.nan
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    counts = Counter(grams)
    if top:
        if not grams or max(counts.values()) < 2:
            return 0.0
        best = max(counts.values())
        tied = [g for g in counts if counts[g] == best]
        most = max(sum(map(len, g)) for g in tied)
        chosen = {min((g for g in tied if sum(map(len, g)) == most), key=grams.index)}
    else:
        chosen = {g for g, c in counts.items() if c >= 2}
    covered = set()
    for i, gram in enumerate(grams):
        if gram in chosen:
            covered.update(range(i, i + n))
    return sum(len(words[i]) for i in covered) / total


def test_batched_ngram_fractions_equal_the_slow_definition_on_random_batches():
    rng = random.Random(4)
    vocabulary = ["a", "bb", "ccc", "the", "of", "x", "yy", "zzzz", "é", "東京"]
    for _ in range(150):
        batch = []
        for _ in range(rng.randint(1, 5)):
            size = rng.choice([0, 1, 2, 3, 5, 9, 30, 70])
            words = vocabulary[: rng.randint(1, len(vocabulary))]
            batch.append([rng.choice(words) for _ in range(size)])
        got = WordBatch(batch).fractions((2, 3, 4), (5, 6, 7, 8, 9, 10))
        for n in range(2, 11):
            for doc, words in enumerate(batch):
                expected = _reference(words, n, top=n <= 4)
                value = got[n][doc]
                assert (math.isnan(expected) and math.isnan(value)) or value == pytest.approx(expected, abs=1e-12)


# --- line endings, batches, preset -----------------------------------------------------


def test_a_crlf_text_scores_exactly_like_its_lf_twin():
    for text in (QUALITY_TEXT, REPEATED, "a\n\n\nb\n"):
        assert one(text.replace("\n", "\r\n")) == one(text)


def test_a_batch_gives_what_each_text_gives_alone():
    texts = [QUALITY_TEXT, REPEATED, "### ...", "naïve café"]
    assert gopher(*texts) == [one(t) for t in texts]


def test_the_gopher_preset_holds_exactly_the_papers_thresholds():
    assert PRESETS["Gopher"] == [
        Rule("gopher_word_count", 50, 100_000),
        Rule("gopher_mean_word_length", 3, 10),
        Rule("gopher_symbol_word_ratio", None, 0.1),
        Rule("gopher_bullet_line_frac", None, 0.9),
        Rule("gopher_ellipsis_line_frac", None, 0.3),
        Rule("gopher_alpha_word_frac", 0.8, None),
        Rule("gopher_stop_word_count", 2, None),
        Rule("gopher_dup_line_frac", None, 0.30),
        Rule("gopher_dup_para_frac", None, 0.30),
        Rule("gopher_dup_line_char_frac", None, 0.20),
        Rule("gopher_dup_para_char_frac", None, 0.20),
        Rule("gopher_top_2gram_char_frac", None, 0.20),
        Rule("gopher_top_3gram_char_frac", None, 0.18),
        Rule("gopher_top_4gram_char_frac", None, 0.16),
        Rule("gopher_dup_5gram_char_frac", None, 0.15),
        Rule("gopher_dup_6gram_char_frac", None, 0.14),
        Rule("gopher_dup_7gram_char_frac", None, 0.13),
        Rule("gopher_dup_8gram_char_frac", None, 0.12),
        Rule("gopher_dup_9gram_char_frac", None, 0.11),
        Rule("gopher_dup_10gram_char_frac", None, 0.10),
    ]
    assert [r.column for r in PRESETS["Gopher"]] == list(SUITES["gopher"].columns)


def test_prose_passes_the_preset_and_a_spam_page_fails_it():
    prose = ("The committee met on Tuesday to review the budget that had been proposed for the coming year. "
             "Members raised questions about the cost of the new library and the timing of the road repairs. "
             "After a long discussion, they agreed to publish the figures and to hold a public meeting with "
             "residents before the final vote, which is now expected at the end of the month.")
    spam = "\n".join(["BUY NOW cheap pills"] * 30)
    values = compute_rules([prose, spam], ["gopher"])
    passed = [all(rule.mask(values[rule.column].to_numpy(zero_copy_only=False).astype(float))[i]
                  for rule in PRESETS["Gopher"]) for i in range(2)]
    assert passed == [True, False]


# ---- the fast path of gopher_alpha_word_frac equals the regex over the whole text ----------

_TRICKY = ["", " ", "x", "42", "_", "__init__", "a_b", "#tag", "(e.g.,", "...", "…", "•", "-5", "x²", "²",
           "½", "٣", "ǅ", "é", "e\u0301", "\u0301", "日本語", "🙂", "a🙂", "🙂a", "\t", "\n", "\r\n", "\u00a0",
           "\u2028", "\x0b", "\x1c", "foo.bar", "'quoted'", "1st", "3.14", "---", "\ud800"]


def _letter_tokens_of_text(text: str) -> int:
    from indexing.signals.rules.text import LETTER_TOKEN

    return len(LETTER_TOKEN.findall(text))


def _letter_tokens_of_words(text: str) -> int:
    from indexing.signals.rules.gopher import letter_tokens
    from indexing.signals.rules.text import WORD

    return letter_tokens(" ".join(WORD.findall(text)))


def test_letter_tokens_over_words_equals_the_regex_over_the_text():
    rng = random.Random(7)
    texts = [" ".join(rng.choices(_TRICKY, k=rng.randrange(1, 12))) for _ in range(3_000)]
    texts += ["".join(rng.choices(_TRICKY, k=rng.randrange(1, 12))) for _ in range(3_000)]
    texts += [repr(BULLETS), "def f(x):\n    return x_1 + 2  # done...\n", "  \n\n  a  b\u3000c  "]
    for text in texts:
        assert _letter_tokens_of_words(text) == _letter_tokens_of_text(text), repr(text)


def test_letter_tokens_over_words_on_real_text():
    from indexing.demo_corpus import stdlib_documents

    texts = [row["text"] for row in stdlib_documents(500, seed=5)]
    counts = [_letter_tokens_of_words(t) for t in texts]
    assert counts == [_letter_tokens_of_text(t) for t in texts]
    assert sum(counts) > 10_000  # real text, not empty strings


def test_letter_tokens_over_words_on_any_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=2_000, deadline=None)
    @given(st.text())
    def same(text):
        assert _letter_tokens_of_words(text) == _letter_tokens_of_text(text)

    same()
