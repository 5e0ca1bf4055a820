"""Curation: what a curator decides about the documents.

- labels.py        hand labels as append-only events
- label_scheme.py  the label names and values the app offers
- selection.py     a selection: one SQL predicate (plus ids) for every view
- thresholds.py    what a threshold on a column keeps and removes (`Rule`), histograms
- geometry.py      the documents inside a box or lasso on the map
- by_example.py    more like / least like a few documents (their centroid)
- queue.py         the labelling queue: random, nearest, and a classifier's uncertain/likely
- classifiers/     classifiers trained from labelled seeds, writing `score_<name>`
- dedup/           exact, near (MinHash) and semantic duplicates: `dup_group`, `dup_keep`
- budget.py        the documents that fill a token budget
"""
