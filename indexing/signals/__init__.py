"""Signals: what is measured per document, each measure a column.

- basic.py     chars, words, lines, tokens
- rules/       the published rule suites (Gopher, C4, FineWeb) as `<suite>_<measure>` columns
- language.py  `lang` and `lang_score` (fastText lid.176, offline)
- document.py  every signal a new document gets (what index and apply share)
- compute.py   `loupe signals`: suites and language for a workspace that exists already
"""
