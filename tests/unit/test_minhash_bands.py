"""The numpy banding finds exactly the candidate pairs datasketch's MinHashLSH finds."""

import numpy as np
import pytest

from indexing.curate.dedup.minhash import SCHEME, bands, candidate_pairs, signatures


def _datasketch_pairs(values, threshold):
    from datasketch import LeanMinHash, MinHashLSH

    b, r = bands(threshold, values.shape[1])
    lsh = MinHashLSH(num_perm=values.shape[1], params=(b, r))
    pairs = set()
    for j, row in enumerate(values):
        sketch = LeanMinHash(seed=1, hashvalues=row, scheme=SCHEME)
        pairs.update((i, j) for i in lsh.query(sketch))
        lsh.insert(j, sketch, check_duplication=False)
    return pairs


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.95])
def test_same_pairs_as_datasketch(threshold):
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(300)]
    texts = []
    for _ in range(60):
        base = list(rng.choice(words, 40))
        texts.append(" ".join(base))
        for _ in range(2):  # near copies: a few words changed
            copy = list(base)
            for k in rng.choice(40, int(rng.integers(1, 8)), replace=False):
                copy[k] = str(rng.choice(words))
            texts.append(" ".join(copy))
    values, _ = signatures(texts)
    found = {tuple(p) for p in candidate_pairs(values, threshold).tolist()}
    assert found == _datasketch_pairs(values, threshold)
    assert found  # the planted near copies give candidates


def test_no_pairs_among_distinct_texts():
    values, _ = signatures([f"alpha beta gamma delta {i} epsilon zeta eta theta {i * 7}" for i in range(20)])
    assert candidate_pairs(values[:1], 0.8).shape == (0, 2)
