"""indexing.workspace.atomic: a folder swapped into place whole, never half (issue 9, point 5).

The file writes are tested through their callers (test_state, test_label_scheme,
test_demo_corpus), the folder swap through exports and classifiers as well."""

from __future__ import annotations

import os

import pytest

from indexing.workspace.atomic import swap_folder


def _folder(path, text):
    path.mkdir()
    (path / "f.txt").write_text(text)
    return path


def test_a_new_folder_takes_a_free_name_and_never_replaces_one(tmp_path):
    swap_folder(_folder(tmp_path / ".new", "one"), tmp_path / "final")
    assert (tmp_path / "final" / "f.txt").read_text() == "one" and sorted(os.listdir(tmp_path)) == ["final"]
    with pytest.raises(FileExistsError):
        swap_folder(_folder(tmp_path / ".again", "two"), tmp_path / "final")
    assert (tmp_path / "final" / "f.txt").read_text() == "one"


def test_a_swap_puts_the_old_folder_aside_and_back_when_the_rename_fails(tmp_path, monkeypatch):
    final, aside = _folder(tmp_path / "final", "old"), tmp_path / ".aside"
    swap_folder(_folder(tmp_path / ".new", "new"), final, aside=aside)
    assert (final / "f.txt").read_text() == "new" and (aside / "f.txt").read_text() == "old"

    real, calls = os.rename, []

    def second_fails(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("rename failed")
        real(src, dst)

    monkeypatch.setattr(os, "rename", second_fails)
    with pytest.raises(OSError, match="rename failed"):
        swap_folder(_folder(tmp_path / ".newer", "newer"), final, aside=tmp_path / ".aside2")
    monkeypatch.undo()
    assert (final / "f.txt").read_text() == "new" and not (tmp_path / ".aside2").exists()
