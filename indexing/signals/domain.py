"""`domain`: the host of a source's `url` field, the column a web curator filters by source.

Lower-case, without a leading `www.`; a value that is not a URL (no host, spaces in the
host, a broken IPv6 literal) gives null, never an error. Computed at ingest (`loupe index`),
by `loupe signals` for rows stored before, and by `loupe apply`, so a recipe step on
`domain` reads the same values everywhere. A source whose own field is called `domain` keeps
it: ingest stores it as `domain_src` (Loupe owns the name), and a workspace that already
holds it under `domain` gets no computed column.
"""

from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import urlsplit

import pyarrow as pa

DOMAIN = "domain"
URL_FIELD = "url"
DOMAIN_COLUMNS = (DOMAIN,)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_HOST = re.compile(r"^[^\s/\\@:?#\[\]]+$")


def domain_of(url: object) -> str | None:
    """The host of `url`, lower-case, without `www.`; None when `url` is not a URL.

    `https://WWW.Example.org:8080/a` gives `example.org`; `example.org/a` (no scheme) too."""
    if not isinstance(url, str) or not url.strip():
        return None
    text = url.strip()
    scheme_less = "://" not in text and not text.startswith("//")
    if scheme_less and _SCHEME.match(text):  # mailto:, javascript:, urn:...: no host
        return None
    try:
        host = urlsplit("//" + text if scheme_less else text).hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if not host or not _HOST.match(host) or (scheme_less and "." not in host):
        return None
    host = host.rstrip(".")
    return (host[4:] if host.startswith("www.") and len(host) > 4 else host) or None


def domain_column(urls: Iterable[object]) -> pa.Array:
    """`domain_of` of every value, as a string column."""
    return pa.array([domain_of(u) for u in urls], pa.string())


def domain_columns(columns: dict[str, pa.Array], source_columns: Iterable[str]) -> dict[str, pa.Array]:
    """{"domain": ...} when a chunk's columns hold a `url` field and `domain` is not itself a
    source field's column (`source_columns`); otherwise nothing."""
    urls = columns.get(URL_FIELD)
    if urls is None or DOMAIN in set(source_columns):
        return {}
    values = urls.to_pylist() if hasattr(urls, "to_pylist") else list(urls)
    return {DOMAIN: domain_column(values)}
