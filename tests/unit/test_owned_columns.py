"""The registry of the columns Loupe owns (issue 8, defect 4: source fields named
`dup_keep` or `dup_group` were overwritten by dedup, losing user data)."""

from __future__ import annotations

import pytest

from indexing.workspace.owned_columns import OVERFLOW_COLUMN, check_writable, is_owned, owned_names
from indexing.errors import ColumnOwnershipError


def test_every_stage_column_is_in_the_registry():
    """issue 8, defect 4: one registry names every column any stage writes."""
    from indexing.curate.classifiers.model import COLUMN_PREFIX
    from indexing.curate.dedup.stage import COLUMNS as DEDUP_COLUMNS
    from indexing.signals.language import LANGUAGE_COLUMNS
    from indexing.signals.rules import RULE_COLUMNS
    from indexing.signals.basic import SIGNAL_COLUMNS

    from indexing.vectors.placement import PLACED

    written = {"id", "text", "vector", "x", "y", "cluster", PLACED, "_source", "_ordinal", "_line",
               "_score", "_distance", OVERFLOW_COLUMN, COLUMN_PREFIX + "quality",
               *SIGNAL_COLUMNS, *RULE_COLUMNS, *LANGUAGE_COLUMNS, *DEDUP_COLUMNS}
    assert all(is_owned(name) for name in written), sorted(n for n in written if not is_owned(n))
    assert {"dup_keep", "dup_group", "lang", "gopher_word_count"} <= owned_names()


@pytest.mark.parametrize("name", ["title", "url", "ID", "Text", "score", "tag_1", "dup", "dup_keep_src",
                                  "score_x_src", "text_src"])
def test_source_names_are_not_owned(name):
    assert not is_owned(name)


def test_a_write_to_a_column_loupe_does_not_own_is_refused():
    """issue 8, defect 4: no write replaces a source field's column."""
    check_writable(["dup_keep", "dup_group", "x", "score_quality"])
    with pytest.raises(ColumnOwnershipError, match="'tag'.*source field"):
        check_writable(["dup_keep", "tag"])
    with pytest.raises(ColumnOwnershipError, match="'lang_src'"):
        check_writable(["lang_src"])
    with pytest.raises(ColumnOwnershipError, match="'score_q'"):
        check_writable(["score_q"], source_columns={"score_q"})



def test_a_classifier_name_cannot_make_a_column_loupe_would_not_own():
    """issue 8, defect 4: `score_<name>` must stay in the registry, or its write is refused."""
    from indexing.curate.classifiers.model import column_name
    from indexing.errors import ClassifierError

    assert column_name("quality") == "score_quality"
    with pytest.raises(ClassifierError, match="'x_src' ends in '_src'"):
        column_name("x_src")
