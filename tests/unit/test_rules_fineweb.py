"""FineWeb's quality measures on hand-checked texts (indexing/signals/rules/fineweb.py)."""

from __future__ import annotations

from indexing.curate.thresholds import Rule
from indexing.signals.rules import PRESETS, SUITES
from indexing.signals.rules.fineweb import STOP_CHARS


def fineweb(*texts: str) -> list[dict]:
    columns = SUITES["fineweb"].compute(list(texts))
    return [{name: values[i].as_py() for name, values in columns.items()} for i in range(len(texts))]


def one(text: str) -> dict:
    return fineweb(text)[0]


LINES = [
    "Hello there, this line is long enough to pass.",  # 46 characters, ends with "."
    "short",
    "short",                                           # a repeat: 5 duplicated characters
    "",
    "Another long line that does not end with punct",  # 46 characters
    "Quote at the end'",                               # 17 characters, ends with "'"
]
TEXT = "\n".join(LINES)


def test_measures_on_a_worked_example():
    assert [len(line) for line in LINES] == [46, 5, 5, 0, 46, 17]  # the hand count
    got = one(TEXT)
    # 6 lines, the empty one included; ending in . ' " ! ?: the first and the last
    assert got["fineweb_line_punct_frac"] == 2 / 6
    # at most 30 characters: short, short, "", the quote line
    assert got["fineweb_short_line_frac"] == 4 / 6
    # repeated non-empty lines: the second "short"; characters without line breaks: 119
    assert got["fineweb_dup_line_char_frac"] == 5 / 119
    # 5 line breaks; words: 9 + 1 + 1 + 9 + 4 = 24
    assert got["fineweb_newlines_per_word"] == 5 / 24


def test_each_stop_character_ends_a_line_after_trailing_spaces():
    assert STOP_CHARS == (".", "'", '"', "!", "?")
    text = "\n".join(["a.", "b'", 'c"', "d!  ", "e?\t", "f,", "g"])
    assert one(text)["fineweb_line_punct_frac"] == 5 / 7


def test_a_final_line_break_adds_no_empty_line_but_counts_as_a_newline():
    got = one("One full sentence here.\n")
    assert got["fineweb_line_punct_frac"] == 1.0 and got["fineweb_short_line_frac"] == 1.0
    assert got["fineweb_newlines_per_word"] == 1 / 4


def test_blank_lines_are_short_lines_and_never_duplicates():
    got = one("A line of text that is long enough here.\n\n\n\n")
    # four breaks end four lines: the sentence and three empty ones
    assert got["fineweb_short_line_frac"] == 3 / 4
    assert got["fineweb_dup_line_char_frac"] == 0.0


def test_unicode_lengths_are_characters_and_crlf_changes_nothing():
    got = one("日本語の文章です。\nこれは二行目の文章です。")
    assert got["fineweb_short_line_frac"] == 1.0  # 9 and 12 characters, not bytes
    assert got["fineweb_line_punct_frac"] == 0.0  # "。" is not one of FineWeb's stop characters
    assert got["fineweb_newlines_per_word"] == 1 / 2
    assert one(TEXT.replace("\n", "\r\n")) == one(TEXT)


def test_a_text_of_symbols_without_words_has_no_newline_ratio():
    got = one("\n\n")
    assert got["fineweb_newlines_per_word"] is None  # no word to divide by: null
    assert got["fineweb_dup_line_char_frac"] is None  # no characters


def test_the_fineweb_preset_holds_exactly_its_thresholds():
    assert PRESETS["FineWeb"] == [
        Rule("fineweb_line_punct_frac", 0.12, None),
        Rule("fineweb_short_line_frac", None, 0.67),
        Rule("fineweb_dup_line_char_frac", None, 0.01),
        Rule("fineweb_newlines_per_word", None, 0.3),
    ]
    assert [r.column for r in PRESETS["FineWeb"]] == list(SUITES["fineweb"].columns)
