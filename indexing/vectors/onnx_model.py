"""The sentence-transformer as an ONNX graph: queries answered without importing torch.

The app's first search waited for the model, and loading a sentence-transformers model
means importing torch, transformers and scikit-learn: about 11 s of CPU on a 2-core
machine, which on a laptop that is also drawing the map arrives seconds after the map.
onnxruntime and the tokenizers library load the same model in about 0.6 s of CPU and embed
a query in milliseconds.

The graph is the whole sentence-transformers pipeline (transformer, pooling, normalisation),
exported once per machine and model from the loaded model by torch's exporter, and checked
against that model on texts of mixed lengths (one longer than the token limit, one empty)
before it is kept: a graph more than TOLERANCE away from the model is thrown away, and the
model is used as before. It is cached under $LOUPE_CACHE_DIR/onnx/<key>/ (model_cache.py:
keyed by the model folder's files) with the model's tokenizer and what the model is (its
fingerprint, dimension and token limit), so a workspace's `fingerprint` checks hold.

Only a model in a local folder is exported (the bundled model, a path): a hub name has no
files to key the cache by. Exporting needs the `onnx` package and a model on the CPU in
float32; without them, or for any model the export or its check fails on, the app loads
the model with torch as before.
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from indexing.vectors import model_cache
from indexing.vectors.embedder import SentenceTransformerEmbedder, model_location

FORMAT = 1  # of the cache folder; a change makes a new key, never a misread
INFO = "loupe.json"
GRAPH = "model.onnx"
TOKENIZER = "tokenizer.json"
TOLERANCE = 1e-4  # the most a vector of the graph may differ from the model's, per component
CHECK_TEXTS = ("a", "  Leading and trailing spaces.  ", "The quick brown fox jumps over the lazy dog. " * 80,
               "Über die Brücke, 橋を渡る", "")
INPUTS = ("input_ids", "attention_mask", "token_type_ids")  # what a transformer may take, in this order
BATCH = 32  # texts per run of the graph

log = logging.getLogger(__name__)


def cache_folder(name: str) -> Path | None:
    """Where the export of model `name` is (or would be) cached; None for a hub name."""
    name, location = model_location(name)
    if not Path(location).is_dir():
        return None
    return model_cache.cache_root("onnx") / model_cache.cache_key(name, location, format=FORMAT)


def load_cached(name: str) -> OnnxEmbedder | None:
    """The cached export of model `name`, or None when there is none or it cannot be read
    (onnxruntime missing; a damaged file, whose folder is removed: the model loads with
    torch, and `export` makes it again)."""
    folder = cache_folder(name)
    if folder is None or not (folder / INFO).is_file():
        return None
    try:
        return OnnxEmbedder(folder)
    except Exception as error:  # noqa: BLE001 - any failure here means "use torch", never a failed search
        log.warning("the ONNX export of %s at %s cannot be used (%s: %s); loading the model with torch",
                    name, folder, type(error).__name__, error)
        if not isinstance(error, ImportError):
            shutil.rmtree(folder, ignore_errors=True)
        return None


def wanted(embedder) -> bool:
    """Whether `export` would export `embedder`'s model now: a sentence-transformers model on
    the CPU, from a local folder, not exported yet, with `onnx` and onnxruntime installed."""
    if not isinstance(embedder, SentenceTransformerEmbedder) or embedder.device != "cpu":
        return False
    folder = cache_folder(embedder.name)
    if folder is None or (folder / INFO).is_file():
        return False
    try:
        import onnx  # noqa: F401 - torch's exporter needs it
        import onnxruntime  # noqa: F401 - the check runs the graph
    except ImportError:
        return False
    return True


def export(embedder) -> Path | None:
    """Export the model of a loaded `embedder` into the cache unless it is there; the
    folder, or None when it cannot be exported (not a sentence-transformers model on the
    CPU, a hub name, no `onnx` package, a failed export or check: see the module
    docstring). A few seconds of CPU, once per machine and model."""
    folder = cache_folder(embedder.name) if isinstance(embedder, SentenceTransformerEmbedder) else None
    if folder is not None and (folder / INFO).is_file():
        return folder
    if not wanted(embedder):
        return None
    try:
        with model_cache.building(folder) as new:
            _export_into(new, embedder)
    except Exception as error:  # noqa: BLE001 - an export is an optimisation: the model works without it
        log.warning("model %s could not be exported to ONNX (%s: %s); queries keep using torch",
                    embedder.name, type(error).__name__, error)
        return None
    return folder


def _export_into(folder: Path, embedder) -> None:
    """The graph, the tokenizer and loupe.json of `embedder` in `folder`; raises when the
    graph disagrees with the model."""
    import torch

    model = embedder.model
    features = model.preprocess(list(CHECK_TEXTS[:2]))  # two lengths: the traced graph keeps the attention mask
    names = [k for k in INPUTS if k in features]

    class Pipeline(torch.nn.Module):  # positional inputs, as the exporter passes them
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            vectors = self.model(dict(zip(names, inputs)))["sentence_embedding"]
            return torch.nn.functional.normalize(vectors.float(), dim=1)

    axes = {**{k: {0: "texts", 1: "tokens"} for k in names}, "embedding": {0: "texts"}}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the tracer's warnings about shapes it records as constants
        torch.onnx.export(Pipeline().eval(), tuple(features[k] for k in names), str(folder / GRAPH),
                          input_names=names, output_names=["embedding"], dynamic_axes=axes, dynamo=False)
    tokenizer = embedder.tokenizer
    (folder / TOKENIZER).write_text(tokenizer.backend_tokenizer.to_str(), encoding="utf-8")
    info = {"format": FORMAT, "name": embedder.name, "fingerprint": embedder.fingerprint,
            "dimension": embedder.dimension, "max_tokens": embedder.max_tokens,
            "lowercase": bool(getattr(model[0], "do_lower_case", False)),
            "pad_id": tokenizer.pad_token_id or 0, "pad_token": tokenizer.pad_token or "[PAD]"}
    (folder / INFO).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    apart = float(np.abs(OnnxEmbedder(folder).encode(CHECK_TEXTS) - embedder.encode(CHECK_TEXTS)).max())
    if not apart <= TOLERANCE:
        raise ValueError(f"the graph's vectors differ from the model's by up to {apart:.2g}")


class OnnxEmbedder:
    """The `Embedder` of an exported model (see the module docstring); thread-safe."""

    device = "cpu"

    def __init__(self, folder: Path, threads: int = 1):
        import onnxruntime
        from tokenizers import Tokenizer

        info = json.loads((Path(folder) / INFO).read_text(encoding="utf-8"))
        if info.get("format") != FORMAT:
            raise ValueError(f"format {info.get('format')}, not {FORMAT}")
        self.folder = Path(folder)
        self.name = info["name"]
        self.fingerprint = info["fingerprint"]
        self.dimension = int(info["dimension"])
        self.max_tokens = int(info["max_tokens"])
        self.lowercase = bool(info["lowercase"])
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # a query is milliseconds: leave the cores to the server
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(self.folder / GRAPH), options,
                                                    providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER))
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self.tokenizer.enable_padding(pad_id=int(info["pad_id"]), pad_token=info["pad_token"])
        self._counter = Tokenizer.from_file(str(self.folder / TOKENIZER))
        self._counter.no_truncation()
        self._counter.no_padding()

    def _prepared(self, texts: Sequence[str]) -> list[str]:
        """As sentence-transformers prepares texts: stripped, lowercased where the model says."""
        texts = [str(t).strip() for t in texts]
        return [t.lower() for t in texts] if self.lowercase else texts

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._counter.encode_batch(list(texts), add_special_tokens=False)]

    def encode(self, texts: Sequence[str], tokens=None, advance: Callable[[int], None] = lambda n: None) -> np.ndarray:
        """Normalised float32 vectors in the order of `texts`; `advance(n)` after each batch."""
        texts = self._prepared(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            encoded = self.tokenizer.encode_batch(texts[start:start + BATCH])
            columns = {"input_ids": [e.ids for e in encoded], "attention_mask": [e.attention_mask for e in encoded],
                       "token_type_ids": [e.type_ids for e in encoded]}
            feed = {name: np.array(columns[name], dtype=np.int64) for name in self.inputs}
            out[start:start + len(encoded)] = self.session.run(None, feed)[0]
            advance(len(encoded))
        return out
