"""Vectors: the embeddings and what is built from them.

- embedder.py      texts -> normalised vectors (sentence-transformers), token counts
- onnx_model.py    the model as an ONNX graph (exported once per machine): queries without torch
- model_cache.py   per-machine caches made from a model (a preview, an ONNX export), built whole
- batched.py       a model over batches, tokenising ahead of it and fetching one batch behind
- devices.py       GPU or CPU: the one choice every GPU path asks (LOUPE_DEVICE=cpu forces the CPU)
- stored.py        the stored `docs.vector` column as a float32 matrix (one reader for all)
- vector_index.py  the FAISS index over `docs.vector`, with its row-id mapping
- projection.py    the 2D map (UMAP) into `x`, `y`
- clustering.py    topic clusters (FAISS k-means) named by c-TF-IDF keywords
- placement.py     new vectors on a fitted map and its clusters, from their nearest fitted neighbours
"""
