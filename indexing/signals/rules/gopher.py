"""Gopher's quality and repetition rules (Rae et al. 2021, "Scaling Language Models:
Methods, Analysis & Insights from Training Gopher", Appendix A.1.1 and Table A1), as
signal columns with the paper's thresholds.

Quality filters, as the paper states them ("we remove any document that ..."):

| column | measure | kept |
|---|---|---|
| `gopher_word_count` | words (see `text.py`: punctuation-only tokens are no words) | 50 to 100,000 |
| `gopher_mean_word_length` | mean characters per word | 3 to 10 |
| `gopher_symbol_word_ratio` | max(`#` count, ellipsis count) / words: "a symbol-to-word ratio greater than 0.1 for either the hash symbol or the ellipsis" | <= 0.1 |
| `gopher_bullet_line_frac` | non-empty lines starting with a bullet (`BULLETS`) | <= 0.9 |
| `gopher_ellipsis_line_frac` | non-empty lines ending with `...` or `…` | <= 0.3 |
| `gopher_alpha_word_frac` | words holding at least one alphabetic character | >= 0.8 |
| `gopher_stop_word_count` | occurrences of `STOP_WORDS` (case-insensitive) | >= 2 |

Repetition filters (Table A1; a document is removed above the threshold):

| column | measure | kept |
|---|---|---|
| `gopher_dup_line_frac` | non-empty lines that repeat an earlier line / non-empty lines | <= 0.30 |
| `gopher_dup_para_frac` | paragraphs (runs of non-blank lines) that repeat an earlier one / paragraphs | <= 0.30 |
| `gopher_dup_line_char_frac` | characters of those repeated lines / characters of the text | <= 0.20 |
| `gopher_dup_para_char_frac` | characters of those repeated paragraphs / characters of the text | <= 0.20 |
| `gopher_top_{2,3,4}gram_char_frac` | word characters inside the most frequent n-gram (`ngrams.py`) | <= 0.20, 0.18, 0.16 |
| `gopher_dup_{5..10}gram_char_frac` | word characters inside any repeated n-gram | <= 0.15, 0.14, 0.13, 0.12, 0.11, 0.10 |

Where the paper leaves a detail open, the choice follows datatrove's
`GopherQualityFilter` / `GopherRepetitionFilter` (huggingface/datatrove): stop words are
counted as occurrences, not distinct words; only the repeats of a line or paragraph count
as duplicates (the first stays); `#`, `...` and `…` are counted in the whole text. Three
choices differ from datatrove, for robustness: words are whitespace tokens stripped of
punctuation rather than NLTK tokens; the line fractions are over non-empty lines, so blank
lines between bullets or paragraphs do not dilute them; and n-gram fractions are over word
characters with overlaps counted once (see `ngrams.py`), so they never exceed 1.
The rules are meant for English (and other space-separated languages): a Chinese or
Japanese text has few whitespace words and fails `gopher_word_count`.
"""

from __future__ import annotations

import pyarrow as pa

from indexing.curate.thresholds import Rule
from indexing.signals.rules.ngrams import WordBatch
from indexing.signals.rules.suite import Suite
from indexing.signals.rules.text import LETTER_TOKEN, WORD, chars, duplicates, float_column, int_column, ratio

# The paper's list: "at least two of the following English words: the, be, to, of, and,
# that, have, with".
STOP_WORDS = frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})
# What starts a bullet line: typographic bullets and the Markdown/plain-text list markers
# (datatrove checks "•" and "-"). A line of "--- " or "-5" counts too, as it does there.
BULLETS = ("•", "‣", "⁃", "◦", "∙", "●", "○", "▪", "▫", "■", "□", "►", "➢", "➤", "-", "*", "–")
ELLIPSES = ("...", "…")
HASH = "#"

TOP_NGRAMS = {2: 0.20, 3: 0.18, 4: 0.16}
DUP_NGRAMS = {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}

QUALITY_RULES = (
    Rule("gopher_word_count", 50, 100_000),
    Rule("gopher_mean_word_length", 3, 10),
    Rule("gopher_symbol_word_ratio", None, 0.1),
    Rule("gopher_bullet_line_frac", None, 0.9),
    Rule("gopher_ellipsis_line_frac", None, 0.3),
    Rule("gopher_alpha_word_frac", 0.8, None),
    Rule("gopher_stop_word_count", 2, None),
)
REPETITION_RULES = (
    Rule("gopher_dup_line_frac", None, 0.30),
    Rule("gopher_dup_para_frac", None, 0.30),
    Rule("gopher_dup_line_char_frac", None, 0.20),
    Rule("gopher_dup_para_char_frac", None, 0.20),
    *(Rule(f"gopher_top_{n}gram_char_frac", None, high) for n, high in TOP_NGRAMS.items()),
    *(Rule(f"gopher_dup_{n}gram_char_frac", None, high) for n, high in DUP_NGRAMS.items()),
)

_COUNTS = ("gopher_word_count", "gopher_stop_word_count")
TYPES = {
    rule.column: pa.int64() if rule.column in _COUNTS else pa.float64()
    for rule in (*QUALITY_RULES, *REPETITION_RULES)
}


def paragraphs(lines: list[str]) -> tuple[list[str], list[int]]:
    """Runs of non-blank lines (a blank line holds whitespace at most), joined by `\\n`,
    and each run's characters (line breaks not counted)."""
    found: list[str] = []
    sizes: list[int] = []
    current: list[str] = []
    for line in lines + [""]:
        if line and not line.isspace():
            current.append(line)
        elif current:
            found.append("\n".join(current))
            sizes.append(chars(current))
            current = []
    return found, sizes


def _duplicate_paragraphs(found: list[str], sizes: list[int]) -> tuple[int, int]:
    seen: set[str] = set()
    count = size = 0
    for paragraph, length in zip(found, sizes):
        if paragraph in seen:
            count += 1
            size += length
        else:
            seen.add(paragraph)
    return count, size


def letter_tokens(joined_words: str) -> int:
    """Whitespace tokens of a text holding a letter, counted over its words joined by spaces
    (`" ".join(WORD.findall(text))`), which is the same count, found faster: a letter is a
    word character, so it lies inside its token's word (from the token's first letter or
    digit to its last), a token has at most one word, and words hold no whitespace. The
    joined words leave out indentation and punctuation-only tokens, which the regex would
    otherwise scan (`tests/unit/test_rules_gopher.py` checks the two counts agree)."""
    return len(LETTER_TOKEN.findall(joined_words))


def measure(texts: list[str]) -> dict[str, pa.Array]:
    cols: dict[str, list] = {name: [] for name in TYPES if "gram_" not in name}
    words_per_doc: list[list[str]] = []
    stop_word = STOP_WORDS.__contains__
    for text in texts:
        words = WORD.findall(text)
        words_per_doc.append(words)
        n = len(words)
        all_lines = text.splitlines()
        lines = [line for line in all_lines if line and not line.isspace()]
        total = chars(all_lines)

        cols["gopher_word_count"].append(n)
        cols["gopher_mean_word_length"].append(ratio(chars(words), n))
        symbols = max(text.count(HASH), text.count(ELLIPSES[0]) + text.count(ELLIPSES[1]))
        cols["gopher_symbol_word_ratio"].append(ratio(symbols, n))
        cols["gopher_bullet_line_frac"].append(
            ratio(sum(1 for line in lines if line.lstrip().startswith(BULLETS)), len(lines)))
        cols["gopher_ellipsis_line_frac"].append(
            ratio(sum(1 for line in lines if line.rstrip().endswith(ELLIPSES)), len(lines)))
        joined = " ".join(words)
        cols["gopher_alpha_word_frac"].append(ratio(letter_tokens(joined), n))
        # words hold no whitespace, so one lower() over the joined words lowers each
        cols["gopher_stop_word_count"].append(sum(map(stop_word, joined.lower().split(" "))) if n else 0)

        dup_lines, dup_line_chars = duplicates(lines)
        cols["gopher_dup_line_frac"].append(ratio(dup_lines, len(lines)))
        cols["gopher_dup_line_char_frac"].append(ratio(dup_line_chars, total))
        found, sizes = paragraphs(all_lines)
        dup_paras, dup_para_chars = _duplicate_paragraphs(found, sizes)
        cols["gopher_dup_para_frac"].append(ratio(dup_paras, len(found)))
        cols["gopher_dup_para_char_frac"].append(ratio(dup_para_chars, total))

    out = {
        name: int_column(values) if TYPES[name] == pa.int64() else float_column(values)
        for name, values in cols.items()
    }
    fractions = WordBatch(words_per_doc).fractions(tuple(TOP_NGRAMS), tuple(DUP_NGRAMS))
    for n in TOP_NGRAMS:
        out[f"gopher_top_{n}gram_char_frac"] = float_column(fractions[n])
    for n in DUP_NGRAMS:
        out[f"gopher_dup_{n}gram_char_frac"] = float_column(fractions[n])
    return out


SUITE = Suite(
    name="gopher",
    preset="Gopher",
    reference="Rae et al. 2021, Gopher, Appendix A.1.1 (quality filters) and Table A1 (repetition)",
    types=TYPES,
    rules=QUALITY_RULES + REPETITION_RULES,
    measure=measure,
)
