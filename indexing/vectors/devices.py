"""Where the vector work runs: one choice, made here, for every GPU path.

FAISS (index, k-means, semantic dedup) uses the GPU when the installed faiss build sees
one; the embedder uses CUDA when torch sees it. `LOUPE_DEVICE=cpu` forces the CPU twin of
every path (to compare the two sides, or to leave the GPU to something else); any other
value, or none, means "the GPU when there is one".
"""

from __future__ import annotations

import functools
import os

ENV = "LOUPE_DEVICE"


def _faiss():
    """faiss, imported on first use: the embedder asks `torch_device` without needing it."""
    from indexing.vectors.faiss_lib import faiss

    return faiss


def forced_cpu() -> bool:
    return os.environ.get(ENV, "").strip().lower() == "cpu"


def gpu_count() -> int:
    """GPUs the installed faiss build can use (0 for faiss-cpu, or when forced to the CPU)."""
    if forced_cpu() or not _faiss() or not hasattr(_faiss(), "get_num_gpus"):
        return 0
    return int(_faiss().get_num_gpus())


def use_gpu() -> bool:
    """True when FAISS work should run on the GPU."""
    return gpu_count() > 0


def torch_device(device: str = "auto") -> str:
    """"auto" -> "cuda" when torch sees a GPU and the CPU is not forced, else "cpu"."""
    if device != "auto":
        return device
    if forced_cpu():
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def to_gpu(index):
    """`index` copied to every GPU (searches there), or itself on the CPU twin."""
    return _faiss().index_cpu_to_all_gpus(index) if use_gpu() else index


@functools.lru_cache(maxsize=1)
def _resources():
    """One set of GPU scratch memory and streams for the process: making one per index
    would allocate it again for each of the hundreds of clusters semantic dedup searches."""
    return _faiss().StandardGpuResources()


def flat_ip(dimension: int):
    """An exact inner-product index, on the (first) GPU when there is one."""
    if use_gpu():
        return _faiss().GpuIndexFlatIP(_resources(), dimension)
    return _faiss().IndexFlatIP(dimension)
