"""FineWeb's own quality rules (Penedo et al. 2024, "The FineWeb Datasets: Decanting the Web
for the Finest Text Data at Scale", Section 3.4 and Appendix; datatrove's
`FineWebQualityFilter` with its default arguments), as signal columns.

| column | measure | kept (FineWeb removes) |
|---|---|---|
| `fineweb_line_punct_frac` | lines ending in `STOP_CHARS` / lines | >= 0.12 (<= 0.12) |
| `fineweb_short_line_frac` | lines of at most 30 characters / lines | <= 0.67 (>= 0.67) |
| `fineweb_dup_line_char_frac` | characters of non-empty lines that repeat an earlier line / characters of the text | <= 0.01 (>= 0.01) |
| `fineweb_newlines_per_word` | line breaks / words | <= 0.3 (> 0.3) |

Lines are all lines (`text.splitlines()`, empty ones included, as datatrove's
`text.split("\\n")` includes them, but a final line break adds no empty line); a line
"ends" in punctuation after trailing spaces are removed, so a CRLF file or a stray space
does not hide a full stop. Characters do not count line breaks (datatrove:
`len(text.replace("\\n", ""))`). Words are whitespace-separated tokens (datatrove uses a
language's word tokenizer, which also counts punctuation as words, so its ratio is a
little lower). The duplicated-line threshold is datatrove's default, 0.01, with which
FineWeb was built; the FineWeb write-up quotes a looser 0.1 for this ratio (move the
slider there for that reading). Rules keep a value equal to the threshold, while FineWeb removes
documents whose ratio equals 0.12, 0.67 or 0.01 exactly: the rule panel's bounds are
inclusive.
"""

from __future__ import annotations

import pyarrow as pa

from indexing.curate.thresholds import Rule
from indexing.signals.rules.suite import Suite
from indexing.signals.rules.text import chars, duplicates, float_column, ratio

STOP_CHARS = (".", "'", '"', "!", "?")
SHORT_LINE_CHARS = 30

RULES = (
    Rule("fineweb_line_punct_frac", 0.12, None),
    Rule("fineweb_short_line_frac", None, 0.67),
    Rule("fineweb_dup_line_char_frac", None, 0.01),
    Rule("fineweb_newlines_per_word", None, 0.3),
)
TYPES = {rule.column: pa.float64() for rule in RULES}


def measure(texts: list[str]) -> dict[str, pa.Array]:
    punct, short, dup, newlines = [], [], [], []
    for text in texts:
        lines = text.splitlines()
        n = len(lines)
        punct.append(ratio(sum(1 for line in lines if line.rstrip().endswith(STOP_CHARS)), n))
        short.append(ratio(sum(1 for line in lines if len(line) <= SHORT_LINE_CHARS), n))
        repeated = duplicates(line for line in lines if line and not line.isspace())[1]
        dup.append(ratio(repeated, chars(lines)))
        newlines.append(ratio(text.count("\n"), len(text.split())))
    return {
        "fineweb_line_punct_frac": float_column(punct),
        "fineweb_short_line_frac": float_column(short),
        "fineweb_dup_line_char_frac": float_column(dup),
        "fineweb_newlines_per_word": float_column(newlines),
    }


SUITE = Suite(
    name="fineweb",
    preset="FineWeb",
    reference="Penedo et al. 2024, FineWeb, Section 3.4; datatrove FineWebQualityFilter",
    types=TYPES,
    rules=RULES,
    measure=measure,
)
