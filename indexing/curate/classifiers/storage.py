"""Classifiers on disk: `WS/classifiers/<name>/` holds `coef.npy` and `meta.json`.

No pickle anywhere: the weights are one float64 array written and read with
`allow_pickle=False`, everything else is JSON. A save never leaves half a classifier
under its name: the new version is written and fsynced in `.<name>.new-<token>/`,
then the old folder is renamed aside to `.<name>.old-<token>/`, the new one renamed
into place, and the old one removed. A kill between those two renames leaves no
`<name>/` but a complete `.old-` folder, which `load` and `list_classifiers` read in
its place and the next save of that name puts back first; leftovers of a killed
write (`.new-`) are never read and are removed by the next save of that name.
Saves are serialised by the workspace's writer lock (see `training.train`).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

import numpy as np

from indexing import __version__
from indexing.errors import ClassifierError
from indexing.curate.classifiers.model import Classifier, Metrics, check_name
from indexing.workspace.atomic import swap_folder

FOLDER = "classifiers"
COEF = "coef.npy"
META = "meta.json"
FORMAT_VERSION = 1


def classifiers_dir(root: Path) -> Path:
    return Path(root) / FOLDER


def _write_files(folder: Path, classifier: Classifier) -> None:
    """The two files into `folder` (`swap_folder` flushes them before the rename)."""
    with open(folder / COEF, "wb") as out:
        np.save(out, np.asarray(classifier.coef, dtype=np.float64), allow_pickle=False)
    meta = {
        "format_version": FORMAT_VERSION,
        "loupe_version": __version__,
        "name": classifier.name,
        "label": classifier.label,
        "positive": classifier.positive,
        "negative": classifier.negative,
        "model": classifier.model,
        "dimension": classifier.dimension,
        "intercept": float(classifier.intercept),
        "metrics": classifier.metrics.as_dict(),
        "trained_at": classifier.trained_at,
        "column": classifier.column,
        "params": classifier.params,
        "labels_snapshot": classifier.labels_snapshot,
    }
    with open(folder / META, "w", encoding="utf-8") as out:
        out.write(json.dumps(meta, indent=1) + "\n")


def _aside(base: Path, name: str, kind: str) -> list[Path]:
    """`.<name>.<kind>-<token>` folders, newest first."""
    found = [p for p in base.glob(f".{name}.{kind}-*") if p.is_dir()]
    return sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def _folder(root: Path, name: str) -> Path | None:
    """Where classifier `name` lives: its folder, or the complete old version that a
    kill mid-swap left aside; None when there is none."""
    base = classifiers_dir(root)
    final = base / name
    if (final / META).is_file():
        return final
    for old in _aside(base, name, "old"):
        if (old / META).is_file() and (old / COEF).is_file():
            return old
    return None


def _recover(base: Path, name: str) -> None:
    """Put back an old version left aside by a killed swap; drop other leftovers."""
    final = base / name
    if not final.exists():
        olds = [p for p in _aside(base, name, "old") if (p / META).is_file() and (p / COEF).is_file()]
        if olds:
            os.rename(olds[0], final)
    for leftover in _aside(base, name, "old") + _aside(base, name, "new"):
        shutil.rmtree(leftover, ignore_errors=True)


def save(root: Path, classifier: Classifier) -> Path:
    """Write `classifier` to WS/classifiers/<name>/, replacing an older version whole."""
    name = check_name(classifier.name)
    base = classifiers_dir(root)
    base.mkdir(parents=True, exist_ok=True)
    _recover(base, name)
    token = secrets.token_hex(8)
    final, new, old = base / name, base / f".{name}.new-{token}", base / f".{name}.old-{token}"
    new.mkdir()
    try:
        _write_files(new, classifier)
        swap_folder(new, final, aside=old)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return final


# meta.json's keys and the JSON types each must hold (checked before a Classifier is made)
_META_TYPES = {
    "name": str, "label": str, "positive": str, "negative": (str, type(None)), "model": str, "dimension": int,
    "intercept": (int, float), "metrics": dict, "labels_snapshot": dict, "trained_at": str, "column": str,
    "params": dict,
}


def _damaged(path: Path, name: str, root: Path, why: str) -> ClassifierError:
    return ClassifierError(
        f"{path} is damaged ({why}); retrain it with `loupe train -w {root} --name {name}`, "
        f"or delete the folder {path.parent} to drop the classifier"
    )


def load(root: Path, name: str) -> Classifier:
    """The saved classifier `name` (ClassifierError if there is none or it is damaged:
    the message names the damaged file and says what to do)."""
    check_name(name)
    folder = _folder(root, name)
    if folder is None:
        known = list_classifiers(root)
        raise ClassifierError(
            f"no classifier named {name!r} in {root}"
            + (f"; there are: {', '.join(known)}" if known else "; train one with `loupe train`")
        )
    return read_folder(folder, lambda path, why: _damaged(path, name, root, why),
                       f"retrain it with `loupe train -w {root} --name {name}`")


def read_folder(folder: Path, damaged=None, then: str = "save it again from its workspace") -> Classifier:
    """The classifier whose coef.npy and meta.json are in `folder` (a workspace's, or a
    recipe's copy); `damaged(path, why)` makes the error for a damaged file, `then` says
    what to do about an unsupported format."""
    folder = Path(folder)
    if damaged is None:
        def damaged(path: Path, why: str) -> ClassifierError:
            return ClassifierError(f"{path} is damaged ({why}); {then}")
    meta_path, coef_path = folder / META, folder / COEF
    try:
        meta = json.loads(meta_path.read_bytes().decode("utf-8"))
    except OSError as error:
        raise damaged(meta_path, f"cannot be read: {error.strerror or error}") from None
    except ValueError as error:  # JSON or UTF-8
        raise damaged(meta_path, f"not JSON: {error}") from None
    if not isinstance(meta, dict):
        raise damaged(meta_path, f"holds a JSON {type(meta).__name__}, not an object")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ClassifierError(f"{meta_path}: format version {meta.get('format_version')} is not supported; {then}")
    meta.setdefault("params", {})
    for key, types in _META_TYPES.items():
        if key not in meta:
            raise damaged(meta_path, f"no {key!r}")
        if not isinstance(meta[key], types) or isinstance(meta[key], bool):
            raise damaged(meta_path, f"{key!r} is {meta[key]!r}")
    try:
        metrics = Metrics(**meta["metrics"])
    except TypeError as error:
        raise damaged(meta_path, f"'metrics': {error}") from None
    try:
        coef = np.load(coef_path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise damaged(coef_path, f"not a weight array: {error}") from None
    if coef.dtype != np.float64 or coef.shape != (meta["dimension"],):
        raise damaged(coef_path, f"expected {meta['dimension']} float64 weights, got {coef.dtype} {coef.shape}")
    return Classifier(
        name=meta["name"], label=meta["label"], positive=meta["positive"], negative=meta["negative"],
        model=meta["model"], dimension=meta["dimension"], coef=coef, intercept=float(meta["intercept"]),
        metrics=metrics, labels_snapshot=meta["labels_snapshot"],
        trained_at=meta["trained_at"], column=meta["column"], params=meta["params"],
    )


def list_classifiers(root: Path) -> list[str]:
    """Names of the saved classifiers, sorted."""
    base = classifiers_dir(root)
    if not base.is_dir():
        return []
    names = {p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")}
    names |= {p.name[1:].split(".old-")[0] for p in base.glob(".*.old-*") if p.is_dir()}
    return sorted(n for n in names if _folder(root, n) is not None)
