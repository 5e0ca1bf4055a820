"""C4's rules as page-level numbers, on hand-checked texts (indexing/signals/rules/c4.py)."""

from __future__ import annotations

from indexing.curate.thresholds import Rule
from indexing.signals.rules import PRESETS, SUITES
from indexing.signals.rules.c4 import POLICY_PHRASES, TERMINAL_PUNCTUATION


def c4(*texts: str) -> list[dict]:
    columns = SUITES["c4"].compute(list(texts))
    return [{name: values[i].as_py() for name, values in columns.items()} for i in range(len(texts))]


def one(text: str) -> dict:
    return c4(text)[0]


PAGE = "\n".join([
    "This is the first line. It has two sentences.",       # kept: 2 sentences
    "Short line.",                                          # ends well, but 2 words < 3
    "No punctuation here",                                  # no terminal mark
    "Enable JavaScript to see this page.",                  # a javascript line
    "We use cookies on this site, see the privacy policy.",  # a policy line
    "A citation ends here.[1]",                             # citation removed: kept, 1 sentence
    "The end...",                                           # an ellipsis is no terminal mark
])


def test_line_rules_on_a_worked_example():
    got = one(PAGE)
    # 7 non-empty lines; ending in . ! ? " (after removing "[1]"): lines 1, 2, 4, 5, 6
    assert got["c4_terminal_punct_frac"] == 5 / 7
    assert got["c4_javascript_lines"] == 1
    # kept lines: 1 (two sentences) and 6 (one)
    assert got["c4_sentences"] == 3
    assert got["c4_lorem_ipsum"] == 0 and got["c4_curly_brace"] == 0


def test_lorem_ipsum_and_a_curly_brace_anywhere_flag_the_page():
    assert one("Some text. LOREM Ipsum dolor sit amet.")["c4_lorem_ipsum"] == 1
    assert one("lorem\nipsum")["c4_lorem_ipsum"] == 0  # the phrase, not the words apart
    assert one("def f(): return {1: 2}")["c4_curly_brace"] == 1
    assert one("no brace here } only a closing one")["c4_curly_brace"] == 0


def test_sentences_are_counted_by_end_marks_before_a_space_and_a_non_lowercase_letter():
    assert one('He said "Stop." Then he left!')["c4_sentences"] == 2
    assert one("See e.g. this example here.")["c4_sentences"] == 1  # "e.g." before "this": no end
    assert one("Is it? Yes. (Really.) Fine!")["c4_sentences"] == 4
    assert one("Version 3.14 is out now.")["c4_sentences"] == 1  # "3.14" holds no end mark


def test_a_page_needs_five_sentences_in_kept_lines():
    five = "One two three. Four five six. Seven eight nine. Ten eleven twelve. Thirteen fourteen fifteen."
    assert one(five)["c4_sentences"] == 5
    four_and_noise = "One two three. Four five six.\nSeven eight nine. Ten eleven twelve.\nmenu | home | about"
    assert one(four_and_noise)["c4_sentences"] == 4


def test_lines_with_a_word_over_1000_characters_or_a_policy_phrase_are_dropped():
    long_word = "x" * 1001
    assert one(f"A line with {long_word} inside.")["c4_sentences"] == 0
    assert one(f"A line with {'x' * 1000} inside.")["c4_sentences"] == 1
    for phrase in POLICY_PHRASES:
        assert one(f"Read our {phrase} before you go.")["c4_sentences"] == 0, phrase


def test_every_terminal_mark_ends_a_line_and_quotes_close_it():
    assert TERMINAL_PUNCTUATION == (".", "?", "!", '"')
    text = "\n".join(["It ends here.", "Does it end?", "It ends loudly!", 'She said "it ends"', "It does not,"])
    assert one(text)["c4_terminal_punct_frac"] == 4 / 5


def test_empty_lines_unicode_and_crlf():
    assert one("\n\nThis line is fine.\n\n")["c4_terminal_punct_frac"] == 1.0  # blank lines do not count
    assert one("Ça marche très bien.\nЭто тоже хорошо.")["c4_sentences"] == 2
    text = PAGE + "\n\n" + "Lorem ipsum {x}."
    assert one(text.replace("\n", "\r\n")) == one(text)


def test_text_of_only_whitespace_lines_has_no_terminal_fraction():
    got = one(" \n\t\n")
    assert got["c4_terminal_punct_frac"] is None and got["c4_sentences"] == 0


def test_the_c4_preset_reproduces_the_papers_page_decisions():
    assert PRESETS["C4"] == [
        Rule("c4_lorem_ipsum", None, 0),
        Rule("c4_curly_brace", None, 0),
        Rule("c4_sentences", 5, None),
    ]
    # the two line rules have no page threshold: they act through c4_sentences
    assert set(SUITES["c4"].columns) - {r.column for r in PRESETS["C4"]} == {
        "c4_terminal_punct_frac", "c4_javascript_lines"}
