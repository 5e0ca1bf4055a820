"""SQL text: what Loupe writes (quoted names and values) and what a user writes (bounded).

Loupe writes SQL in several places (filter rules, label exclusions, flags, resume
queries, id and group lists), always through this module: every name through
`quote_identifier`, every value through `sql_literal` (`sql_equals` and `sql_in` build
the two shapes Loupe writes), so a field called ``a`b`` or a value holding a quote is
data, never syntax.

A user's predicate (CLI `--where`, the Python API, the app's text box) reaches
DataFusion and Lance, whose parsers and planners recurse: a long chain of arithmetic
costs cubic time and a deep one overflows the stack (a segfault that takes the app
server down), and functions such as `lpad(text, 20000000)` abort on allocation.
`check_predicate` refuses such a predicate BEFORE either engine sees it, with a small
tokenizer (strings, quoted names, numbers, words, operators), not a parser:

- at most MAX_CHARS characters and MAX_TOKENS tokens;
- at most MAX_OPERATORS operators (AND, OR, NOT, comparisons, arithmetic): any chain
  of binary operators costs about quadratic time to plan, arithmetic about cubic;
- at most MAX_DEPTH nested parentheses, brackets or CASE ... END;
- at most MAX_RUN arithmetic/text operators chained without a comparison, AND/OR,
  comma or keyword between them (`n + 1 + 1 ...`, the cubic shape);
- at most MAX_CONCAT `||` (each one may copy whole texts);
- only the functions of FUNCTIONS (none that builds large strings or lists, none
  whose cost is quadratic in a text: no lpad, repeat, replace, concat, levenshtein,
  regexp_match, make_array, range...), no subquery, no comment, no `;`, no `$`.

Measured with DataFusion 55 on the 2-core development machine under load (about 5
other processes), parse + plan (referenced_columns) + filter of a small table:
unbounded, `n + 1 ...` of 300 terms 0.7 s, 1,000 terms 18 s, 10,000 a segfault;
1,000 `AND` terms 1.2-2 s, 12,000 a segfault; 1,000 `=` terms 1 s. The worst each
bound admits: one 32-operator arithmetic chain 0.15 s; 256 operators as AND-ed
32-operator chains 0.1 s, as `b AND b ...` 0.08 s, as `true = true ...` 0.06 s, as
filter rules 0.04 s; 31 nested abs() around a 31-chain 0.1 s; 31 nested CASE 0.02 s;
a 20,000-character IN list 0.03 s; Lance's own filter (ws.docs/count) 0.01-0.06 s for
the same shapes. DataFusion's parser stops at depth 50 by itself.
"""

from __future__ import annotations

import numbers
import re
from typing import Iterable

from indexing.errors import SelectionError

MAX_CHARS = 20_000
MAX_TOKENS = 2_000
MAX_DEPTH = 32
MAX_OPERATORS = 256
MAX_RUN = 32
MAX_CONCAT = 8

# Functions a curator's predicate may call: none of them returns more than a small
# multiple of its input or costs more than linear time in it.
FUNCTIONS = frozenset({
    # text, never longer than its input
    "length", "char_length", "character_length", "octet_length", "bit_length",
    "lower", "upper", "trim", "ltrim", "rtrim", "btrim", "left", "right", "substr", "substring",
    "split_part", "starts_with", "ends_with", "contains", "strpos", "instr", "position",
    "regexp_like", "regexp_count", "ascii",
    # numbers
    "abs", "round", "floor", "ceil", "trunc", "sqrt", "cbrt", "ln", "log", "log2", "log10", "exp",
    "power", "pow", "signum", "isnan", "iszero", "greatest", "least",
    # nulls and types
    "coalesce", "nullif", "nvl", "nvl2", "ifnull", "cast", "try_cast",
    # dates
    "extract", "date_part", "date_trunc", "to_date", "to_timestamp",
})

# Words that may stand before "(" without being a function call.
_NOT_CALLS = frozenset({
    "and", "or", "not", "in", "is", "like", "ilike", "similar", "escape", "between", "case", "when",
    "then", "else", "end", "as", "from", "for", "distinct", "decimal", "numeric", "varchar", "char",
    "character", "timestamp", "time", "interval",
})
_REFUSED_WORDS = {
    "select": "a subquery (SELECT) is not accepted in a predicate",
    "values": "a subquery (VALUES) is not accepted in a predicate",
}
# Operators that chain into one deep expression tree (arithmetic, bits, text).
_OPERATOR_WORDS = frozenset({"and", "or", "not", "is", "like", "ilike", "similar", "between"})
_CHAINING = frozenset({"+", "-", "*", "/", "%", "||", "&", "|", "^", "<<", ">>", "#"})
# Words that start a new operand chain (logical, comparison-like or structural).
_BREAKING_WORDS = frozenset({
    "and", "or", "not", "is", "in", "like", "ilike", "similar", "between", "case", "when", "then",
    "else", "end", "as", "from", "for", "escape",
})

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<estring>[eE]'(?:[^'\\]|\\.|'')*')
      | (?P<string>'(?:[^']|'')*')
      | (?P<backtick>`(?:[^`]|``)*`)
      | (?P<dquote>"(?:[^"]|"")*")
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<word>[^\W\d]\w*)
      | (?P<unclosed>[eE]?['`"])
      | (?P<comment>--|/\*)
      | (?P<op><=>|->>|<>|<=|>=|!=|==|\|\||<<|>>|::|!~\*|~\*|!~|->|@>|<@|@@|[-+*/%<>=!~^&|#@?:])
      | (?P<punct>[(),\[\]])
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)


def quote_identifier(name: str) -> str:
    """`name` as a quoted SQL identifier (DataFusion and Lance): always quoted, any
    backtick doubled, so no name is ever read as syntax."""
    if not isinstance(name, str):
        raise TypeError(f"an identifier must be a string, not {type(name).__name__}")
    return "`" + name.replace("`", "``") + "`"


def quote_string(value: str) -> str:
    """`value` as a SQL string literal (quotes doubled; no backslash escapes apply)."""
    if not isinstance(value, str):
        raise TypeError(f"a string literal must be a string, not {type(value).__name__}")
    return "'" + value.replace("'", "''") + "'"


def sql_literal(value: str | bool | int | float) -> str:
    """`value` as a SQL literal: a string quoted (`quote_string`), a bool `true`/`false`,
    a number as digits (a whole float without its `.0`, so a slider's 50.0 reads `50`)."""
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    raise TypeError(f"a SQL literal must be a string, bool or number, not {type(value).__name__}")


def sql_list(values: Iterable[str | int | float]) -> str:
    """Comma-separated literals (`sql_literal`), for `column IN (...)`."""
    return ", ".join(sql_literal(v) for v in values)


def sql_equals(column: str, value: str | bool | int | float) -> str:
    """`column = value`, the name quoted and the value a literal."""
    return f"{quote_identifier(column)} = {sql_literal(value)}"


def sql_in(column: str, values: Iterable[str | int | float], negate: bool = False) -> str:
    """`column IN (values...)` (`NOT IN` with `negate`), the name quoted and each value a
    literal: how Loupe selects by an id list, a group list or excluded label values."""
    return f"{quote_identifier(column)} {'NOT IN' if negate else 'IN'} ({sql_list(values)})"


def shorten(text: str, limit: int = 200) -> str:
    """A predicate as an error message quotes it: long ones cut in the middle."""
    return text if len(text) <= limit else f"{text[:limit // 2]} ... {text[-limit // 2:]}"


class _Refused(Exception):
    """A bound is exceeded; the message says which (without the predicate)."""


def check_predicate(where: str) -> None:
    """Raise SelectionError unless `where` lies within the bounds of the module
    docstring; cheap (one pass over the text), so every entry point calls it."""
    problem = predicate_problem(where)
    if problem is not None:
        raise SelectionError(f"bad selection {shorten(str(where))!r}: {problem}")


def predicate_problem(where: str) -> str | None:
    """Why `where` is refused (see the module docstring), or None when it is within bounds."""
    try:
        _check(where)
    except _Refused as refused:
        return str(refused)
    return None


def _check(where: str) -> None:
    if not isinstance(where, str):
        raise _Refused(f"a predicate must be a string, not {type(where).__name__}")
    if len(where) > MAX_CHARS:
        raise _Refused(f"it is {len(where):,} characters long; a predicate may have at most "
                             f"{MAX_CHARS:,}. To select many documents by id, pass the ids "
                             "(ids= in Python, --ids-file on the command line)")
    tokens = operators = depth = run = concat = 0
    previous: tuple[str, str] | None = None  # (kind, lower-case text) of the last token
    opened: list[str] = []  # the closing token of each open group
    for kind, text, column in _tokens(where):
        tokens += 1
        if tokens > MAX_TOKENS:
            raise _Refused(f"it has more than {MAX_TOKENS:,} tokens (words, numbers, strings, "
                                 "operators); simplify it")
        lower = text.lower()
        if kind == "comment":
            raise _Refused(f"comments ({text}) are not accepted in a predicate (column {column})")
        if kind == "other" or (kind == "op" and text in ("?", ":")):
            what = "';' (a second statement)" if text == ";" else repr(text)
            raise _Refused(f"{what} is not accepted in a predicate (column {column})")
        if kind == "unclosed":
            raise _Refused(f"the quote at column {column} is never closed")
        if kind == "word" and lower in _REFUSED_WORDS:
            raise _Refused(_REFUSED_WORDS[lower])
        called = _called(previous) if text == "(" else None
        if called is not None and called not in FUNCTIONS and called not in _NOT_CALLS:
            raise _Refused(f"the function {called}() is not accepted in a predicate; "
                                 f"the functions allowed are {', '.join(sorted(FUNCTIONS))}")
        if text in ("(", "[") or lower == "case":
            opened.append({"(": ")", "[": "]"}.get(text, "end"))
            depth = max(depth, len(opened))
            if depth > MAX_DEPTH:
                raise _Refused(f"it nests parentheses, brackets or CASE more than {MAX_DEPTH} deep "
                                     f"(column {column})")
        elif text in (")", "]") or lower == "end":
            if not opened or opened[-1] != lower:
                raise _Refused(f"{text!r} at column {column} closes nothing")
            opened.pop()
        if (kind == "op" and text != "::") or lower in _OPERATOR_WORDS:
            operators += 1
            if operators > MAX_OPERATORS:
                raise _Refused(f"it has more than {MAX_OPERATORS} operators (AND, OR, NOT, comparisons, "
                                     "arithmetic); simplify it")
        if kind == "op" and text in _CHAINING:
            run += 1
            concat += text == "||"
            if run > MAX_RUN:
                raise _Refused(f"it chains more than {MAX_RUN} arithmetic or text operators in "
                                     f"one expression (column {column}); simplify it")
            if concat > MAX_CONCAT:
                raise _Refused(f"it has more than {MAX_CONCAT} '||' (each may copy whole texts)")
        elif (kind == "op" and text not in _CHAINING) or text == "," or lower in _BREAKING_WORDS:
            run = 0
        previous = (kind, lower)
    if opened:
        raise _Refused(f"{len(opened)} parenthesis, bracket or CASE left open")


def lance_predicate(where: str) -> str:
    """A checked predicate as Lance's own filter must get it: Lance reads "name" as a
    string (DataFusion: a column), so double-quoted names become backtick-quoted; and
    parenthesised, since Lance ignores whatever follows the part it parses."""
    check_predicate(where)
    parts = [quote_identifier(text[1:-1].replace('""', '"')) if kind == "dquote" else text
             for kind, text, _ in _tokens(where, spaces=True)]
    return "(" + "".join(parts) + ")"


def _tokens(where: str, spaces: bool = False):
    """(kind, text, 1-based column) of each token (kinds: the groups of _TOKEN)."""
    position = 0
    while position < len(where):
        match = _TOKEN.match(where, position)
        if spaces or match.lastgroup != "space":
            yield match.lastgroup, match.group(), position + 1
        position = match.end()


def _called(token: tuple[str, str] | None) -> str | None:
    """The function name a token before "(" calls: a word, or a quoted name (`lpad`(...)
    calls lpad too); other tokens call nothing."""
    kind, text = token or ("", "")
    if kind == "word":
        return text
    if kind in ("backtick", "dquote"):
        return text[1:-1].replace(text[0] * 2, text[0])
    return None


def conjuncts(where: str) -> list[str]:
    """The top-level AND-ed parts of a checked predicate, each without the parentheses
    that wrap it whole: `(a >= 1 AND a <= 5) AND b = 'x'` gives `a >= 1 AND a <= 5` and
    `b = 'x'`. A row passes `where` exactly when it passes every part (SQL's AND is true
    only when all its operands are), so a recipe can name the first part a row fails.
    The AND of `BETWEEN x AND y` is not a split."""
    check_predicate(where)
    parts: list[str] = []
    start, depth, betweens = 0, 0, []  # betweens: depths with an open BETWEEN
    for kind, text, column in _tokens(where):
        if kind == "punct" and text == "(":
            depth += 1
        elif kind == "punct" and text == ")":
            depth -= 1
        elif kind == "word" and text.lower() == "between":
            betweens.append(depth)
        elif kind == "word" and text.lower() == "and":
            if betweens and betweens[-1] == depth:
                betweens.pop()
            elif depth == 0:
                parts.append(where[start:column - 1])
                start = column - 1 + len(text)
    parts.append(where[start:])
    return [_unwrap(p.strip()) for p in parts if p.strip()]


def _unwrap(part: str) -> str:
    """`part` without parentheses that enclose all of it (`(a) OR (b)` keeps its own)."""
    while part.startswith("(") and part.endswith(")"):
        depth = 0
        for kind, text, column in _tokens(part):
            if kind == "punct" and text in "()":
                depth += 1 if text == "(" else -1
                if depth == 0 and column < len(part):
                    return part  # the first "(" closes before the end
        part = part[1:-1].strip()
    return part
