"""C4's cleaning rules (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with
a Unified Text-to-Text Transformer", Section 2.2), as signal columns.

C4 edits pages line by line and then drops pages; Loupe keeps or drops whole documents,
so each rule becomes a number whose threshold reproduces the paper's page decision:

| column | measure | kept |
|---|---|---|
| `c4_lorem_ipsum` | 1 if "lorem ipsum" appears (any case), else 0: "we removed any page where the phrase 'lorem ipsum' appeared" | <= 0 |
| `c4_curly_brace` | 1 if the text holds `{`, else 0: "we removed any pages that contained a curly bracket" | <= 0 |
| `c4_sentences` | sentences in the lines C4 keeps (below): "we discarded any page with fewer than 5 sentences" | >= 5 |
| `c4_terminal_punct_frac` | non-empty lines ending in `TERMINAL_PUNCTUATION` (not in `...`), citations removed first | (none) |
| `c4_javascript_lines` | lines mentioning "javascript" (any case) | (none) |

The last two are line rules in C4 ("we only retained lines that ended in a terminal
punctuation mark", "we removed any line with the word Javascript"): they publish no page
threshold, so they have no default rule here; their effect on the page decision is inside
`c4_sentences`. (FineWeb's page-level form of the first is `fineweb_line_punct_frac`.)

A line C4 keeps, as in the reference implementation (tensorflow_datasets
`c4_utils.clean_page`, also datatrove's `C4QualityFilter`): stripped; no word longer than
1,000 characters; Wikipedia-style citations (`[1]`, `[edit]`, `[citation needed]`)
removed; ends in terminal punctuation and not in an ellipsis; at least 3 words (the
paper's number; one version of the TFDS code uses 5); does not mention "javascript" or a
cookie/terms-of-use phrase (`POLICY_PHRASES`). Sentences are counted by end marks
(`.`, `!`, `?`, optionally followed by closing quotes or brackets) that end the line or
are followed by a space and a character other than a lower-case letter, a simple stand-in
for NLTK's Punkt, which C4 used and which would need a download. The bad-words list is not
applied (it needs a word list from outside the packages).

Unlike the reference code, which looks for "lorem ipsum" and `{` only in lines that
survived the line rules, these look at the whole page, as the paper states them.
"""

from __future__ import annotations

import re

import pyarrow as pa

from indexing.curate.thresholds import Rule
from indexing.signals.rules.suite import Suite
from indexing.signals.rules.text import float_column, int_column, ratio

# "a period, exclamation mark, question mark, or end quotation mark" (TFDS `_END_MARKS`)
TERMINAL_PUNCTUATION = (".", "?", "!", '"')
ELLIPSIS = "..."
CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
POLICY_PHRASES = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
MIN_WORDS_PER_LINE = 3
MAX_WORD_LENGTH = 1000
MIN_SENTENCES = 5
SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?:$|(?=\s+[^\sa-z]))")

RULES = (
    Rule("c4_lorem_ipsum", None, 0),
    Rule("c4_curly_brace", None, 0),
    Rule("c4_sentences", MIN_SENTENCES, None),
)
TYPES = {
    "c4_terminal_punct_frac": pa.float64(),
    "c4_javascript_lines": pa.int64(),
    "c4_lorem_ipsum": pa.int64(),
    "c4_curly_brace": pa.int64(),
    "c4_sentences": pa.int64(),
}


def _long_word(line: str) -> bool:
    return len(line) > MAX_WORD_LENGTH and any(len(word) > MAX_WORD_LENGTH for word in line.split())


def measure(texts: list[str]) -> dict[str, pa.Array]:
    terminal, javascript, lorem, curly, sentences = [], [], [], [], []
    for text in texts:
        lower = text.lower()
        lorem.append(int("lorem ipsum" in lower))
        curly.append(int("{" in text))
        ended = nonempty = scripts = found = 0
        # lower() never adds or removes a line break, so the two splits pair up
        for line, line_lower in zip(text.splitlines(), lower.splitlines()):
            if "javascript" in line_lower:
                scripts += 1
            line = line.strip()
            if not line:
                continue
            nonempty += 1
            if "[" in line:
                line = CITATION.sub("", line)
            if not line.endswith(TERMINAL_PUNCTUATION) or line.endswith(ELLIPSIS):
                continue
            ended += 1
            if (len(line.split()) < MIN_WORDS_PER_LINE or _long_word(line) or "javascript" in line_lower
                    or any(phrase in line_lower for phrase in POLICY_PHRASES)):
                continue
            found += max(1, len(SENTENCE_END.findall(line)))
        terminal.append(ratio(ended, nonempty))
        javascript.append(scripts)
        sentences.append(found)
    return {
        "c4_terminal_punct_frac": float_column(terminal),
        "c4_javascript_lines": int_column(javascript),
        "c4_lorem_ipsum": int_column(lorem),
        "c4_curly_brace": int_column(curly),
        "c4_sentences": int_column(sentences),
    }


SUITE = Suite(
    name="c4",
    preset="C4",
    reference="Raffel et al. 2020, T5/C4, Section 2.2; TFDS c4_utils.clean_page",
    types=TYPES,
    rules=RULES,
    measure=measure,
)
