"""A preview embedder: a static model (model2vec) distilled on the spot from the chosen
sentence-transformer, for a first map in minutes instead of hours.

A static model is one vector per token of the base model's vocabulary (the base model's
output for that token alone, reduced by PCA and weighted by SIF); a text's vector is the
mean of its tokens' vectors, so embedding costs a tokenisation and a lookup, no network
forward. Distilling it runs the base model once over its vocabulary (about 17 s for
all-MiniLM-L6-v2 on this CPU), offline; the result is cached per model under
`~/.cache/loupe/model2vec/<key>/` (LOUPE_CACHE_DIR moves `~/.cache/loupe`), written
whole under a temporary name and renamed into place, so a kill during a distillation
leaves no half cache. Later loads read the cache and never touch the base model.

Its name is `preview:<base model>`, so `load_embedder(name)` loads it again (a recipe
saved from a preview workspace records that name and is applied with it). Token counts
come from the base model's tokenizer, so a document's `tokens` do not change when the
workspace is upgraded to the full model (`loupe index --full`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from indexing.errors import DependencyMissing, SettingError
from indexing.vectors import model_cache

PREFIX = "preview:"
# PCA components kept. benchmarks/preview.py on 3,000 real documents: 256 agrees best with the full
# model (10-NN overlap 0.389, ARI 0.170; 64: 0.317, 128: 0.363, no PCA: 0.359) and the size barely
# changes the speed (tokenising is most of it)
PCA_DIMS = 256
FORMAT = 1  # of the cache folder; a change makes a new key, never a misread
INFO = "loupe.json"
BASE_TOKENIZER = "base_tokenizer"
BATCH = 4096  # texts per tokenise-and-average call: bounds the token id lists held at once


def is_preview(name: str | None) -> bool:
    return bool(name) and name.startswith(PREFIX)


def preview_name(base: str) -> str:
    """`preview:<base>` (a preview name stays as it is)."""
    return base if is_preview(base) else PREFIX + base


def base_name(name: str) -> str:
    """The sentence-transformer a preview name was distilled from (other names as they are)."""
    return name[len(PREFIX):] if is_preview(name) else name


def preview_note(model: str, root) -> str | None:
    """What every place that shows a preview workspace says (None when it is not one)."""
    if not is_preview(model):
        return None
    return (f"preview embeddings (model2vec static model distilled from {base_name(model)}): "
            f"run `loupe index -w {root} --full` for the full model")


def cache_root() -> Path:
    """Where distilled models live: $LOUPE_CACHE_DIR/model2vec, default ~/.cache/loupe/model2vec."""
    return model_cache.cache_root("model2vec")


def cache_key(base: str, location: str, pca_dims: int | None) -> str:
    """The cache folder's name for `base` distilled with `pca_dims`."""
    import model2vec

    return model_cache.cache_key(base, location, pca_dims=pca_dims, format=FORMAT, model2vec=model2vec.__version__)


@contextmanager
def _tqdm_to(advance: Callable[[int], None]) -> Iterator[None]:
    """model2vec draws a tqdm bar while it encodes the vocabulary: route it to `advance`."""
    from model2vec.distill import inference

    class Bar:
        def __init__(self, *args, **kwargs):
            pass

        def update(self, n: int = 1) -> None:
            advance(n)

        def close(self) -> None:
            pass

    original = inference.tqdm
    inference.tqdm = Bar
    try:
        yield
    finally:
        inference.tqdm = original


def distill_into(folder: Path, base: str, pca_dims: int | None, progress=None):
    """Distill a static model from sentence-transformer `base` (offline) into `folder`:
    the model2vec files, the base tokenizer, and loupe.json (base name, its fingerprint,
    its token limit, the PCA dimension). Returns the StaticModel as distilled."""
    from indexing.progress import Quiet
    from indexing.vectors.embedder import SentenceTransformerEmbedder

    try:
        from model2vec.distill import distill_from_model
    except ImportError as error:
        raise DependencyMissing(f"a preview needs model2vec with its distill extra ({error}); install it with "
                                "`pip install 'model2vec[distill]'` (or `make setup`)") from None
    progress = progress or Quiet()
    try:
        full = SentenceTransformerEmbedder(base, device="cpu")
    except (OSError, ValueError) as error:  # not installed, not in the hub cache, not a model folder
        reason = " ".join(str(error).split())[:300]
        raise SettingError(f"model {base!r} cannot be loaded offline to distil its preview ({type(error).__name__}: "
                           f"{reason}); give an installed sentence-transformers model or its local folder") from None
    transformer = full.model[0].auto_model
    vocabulary = len(full.tokenizer.get_vocab())
    with progress.stage("distil", vocabulary, unit="tokens") as advance, _tqdm_to(advance):
        static = distill_from_model(transformer, full.tokenizer, device="cpu", pca_dims=pca_dims,
                                    quantize_to="float32")
    static.save_pretrained(str(folder))
    full.tokenizer.save_pretrained(str(folder / BASE_TOKENIZER))
    info = {"format": FORMAT, "base": full.name, "base_fingerprint": full.fingerprint,
            "max_tokens": full.max_tokens, "pca_dims": pca_dims, "dimension": int(static.dim)}
    (folder / INFO).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return static


def cached_model(base: str, pca_dims: int | None = PCA_DIMS, progress=None) -> Path:
    """The cache folder of `base`'s static model, distilled now when it is not there yet."""
    from indexing.vectors.embedder import model_location

    base, location = model_location(base)
    final = cache_root() / cache_key(base, location, pca_dims)
    if not (final / INFO).is_file():
        with model_cache.building(final) as new:
            distill_into(new, base, pca_dims, progress)
    return final


class PreviewEmbedder:
    """The `Embedder` of a static model distilled from `base` (see the module docstring)."""

    device = "cpu"

    def __init__(self, name: str, pca_dims: int | None = PCA_DIMS, progress=None):
        if not is_preview(name):
            name = preview_name(name)
        base = base_name(name)
        if not base or is_preview(base) or base.startswith("hash:"):
            raise SettingError(f"model {name!r} cannot be previewed: a preview is distilled from a "
                               "sentence-transformers model (preview:<its name or folder>)")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        folder = cached_model(base, pca_dims, progress)
        # model2vec and tokenizers only: importing transformers (and torch) would cost more
        # than the whole preview of a small corpus
        from model2vec import StaticModel
        from tokenizers import Tokenizer

        logging.getLogger("model2vec").setLevel(logging.ERROR)  # "Set max_length to 256 ..." on every load
        self.folder = folder
        self.info = json.loads((folder / INFO).read_text(encoding="utf-8"))
        self.name = preview_name(self.info["base"])
        self.base = self.info["base"]
        self.model = StaticModel.from_pretrained(str(folder), normalize=True, max_length=self.info["max_tokens"])
        self.tokenizer = Tokenizer.from_file(str(folder / BASE_TOKENIZER / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.dimension = int(self.model.dim)
        self.max_tokens = int(self.info["max_tokens"])
        self._fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        """sha256 of the static vectors, their token weights and the tokenizer: what a recipe records."""
        if self._fingerprint is None:
            digest = hashlib.sha256(b"model2vec\0")
            digest.update(np.ascontiguousarray(self.model.embedding, dtype=np.float32).tobytes())
            if self.model.weights is not None:
                digest.update(np.ascontiguousarray(self.model.weights, dtype=np.float32).tobytes())
            digest.update(self.model.tokenizer.to_str().encode("utf-8"))
            self._fingerprint = "sha256:" + digest.hexdigest()
        return self._fingerprint

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens as the base model counts them, so `tokens` agree with a full index."""
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def encode(self, texts: Sequence[str], tokens=None, advance: Callable[[int], None] = lambda n: None) -> np.ndarray:
        """Normalised float32 vectors in the order of `texts` (each the mean of its first
        `max_tokens` tokens' static vectors); `advance(n)` after each batch."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            batch = texts[start:start + BATCH]
            vectors = self.model.encode(batch, use_multiprocessing=False, batch_size=BATCH)
            out[start:start + len(batch)] = vectors
            advance(len(batch))
        empty = ~np.any(out, axis=1)  # a text without a known token: a unit vector, as the hash embedder does
        out[empty, 0] = 1.0
        return out
