"""An embedder that runs in a child process, for a server that must stay responsive.

Loading a sentence-transformers model means importing torch: seconds of Python that hold
the interpreter's lock. Loaded in a thread of the app's server, that import stalled the
server's answer to the first page (on two cores the map came 8.0 s after the server was
ready, against 4.4 s without the load), and a lower thread priority cannot release a lock.
In a child process at the lowest priority the load takes only CPU time nobody else wants,
and the server never imports torch at all. Where this machine has the model's ONNX export
(onnx_model.py) the child loads that instead, in about 0.6 s of CPU against 11 s, and the
first search no longer waits for the model; a child that loaded the model with torch
exports it for the next start.

`ModelProcess` starts the child at once and answers the `Embedder` interface; the first use
of the model waits for the load. The child reads one JSON request per line on stdin and
answers a JSON line on its own copy of stdout (what libraries print goes to stderr), the
vectors following as raw float32 bytes. It exits when its stdin closes, so it never
outlives the server.

    python -c "from indexing.vectors.model_process import main; main()" MODEL [--nice 19]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from typing import Any, BinaryIO, Callable, Sequence

import numpy as np

from indexing.errors import WorkspaceError

WARM_TEXT = "warm up"  # one encode after the load: the first real query skips torch's first-call costs
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # where `indexing` is importable from


def _lower_priority(pid: int, nice: int) -> None:
    """`nice` for process `pid` (0: this one) and, on Linux, for its scheduling autogroup: a
    process in a session of its own is in an autogroup of its own, which the scheduler
    shares the CPU with as an equal of the server's whatever the process's nice value (the
    first map came 2.7 s later with the child at nice 19 in a nice-0 autogroup)."""
    if not nice or not hasattr(os, "setpriority"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
        Path(f"/proc/{pid or 'self'}/autogroup").write_text(str(nice))
    except OSError:  # gone already, not allowed, no autogroups: it only runs at a higher priority
        pass


def _send(out: BinaryIO, header: dict[str, Any], payload: bytes = b"") -> None:
    out.write(json.dumps(header).encode("utf-8") + b"\n" + payload)
    out.flush()


def serve(name: str, nice: int = 0) -> None:
    """The child's side: load `name` (its ONNX export when this machine has one: no torch,
    see onnx_model.py), say what it is, then answer requests until stdin closes. A model
    loaded with torch is exported meanwhile for the next start (once per machine and model;
    a request waits for that export to end)."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library's print must not corrupt the answers
    _lower_priority(0, nice)  # before any thread starts: torch's threads inherit it
    from indexing.vectors import onnx_model

    try:
        embedder = onnx_model.load_cached(name)
        backend = "onnx"
        if embedder is None:
            from indexing.vectors.embedder import load_embedder

            embedder, backend = load_embedder(name), "torch"
        embedder.encode([WARM_TEXT])
    except Exception as error:  # noqa: BLE001 - reported to the parent, which raises it at the first use
        _send(out, {"error": f"{type(error).__name__}: {error}"})
        return
    _send(out, {"name": embedder.name, "dimension": embedder.dimension, "max_tokens": embedder.max_tokens,
                "device": embedder.device, "backend": backend})
    busy = threading.Lock()  # the export and the requests take turns on the model
    if backend == "torch":
        def export() -> None:
            with busy:
                onnx_model.export(embedder)

        threading.Thread(target=export, name="loupe-onnx-export", daemon=True).start()
    for line in sys.stdin.buffer:  # ends when the parent closes stdin or exits
        with busy:
            _answer(out, embedder, line)


def _answer(out: BinaryIO, embedder, line: bytes) -> None:
    try:
        request = json.loads(line)
        if request["op"] == "encode":
            vectors = np.ascontiguousarray(embedder.encode(request["texts"]), dtype=np.float32)
            _send(out, {"shape": list(vectors.shape)}, vectors.tobytes())
        elif request["op"] == "count":
            _send(out, {"tokens": embedder.count_tokens(request["texts"])})
        else:
            _send(out, {"fingerprint": embedder.fingerprint})
    except Exception as error:  # noqa: BLE001 - one failed request does not end the process
        _send(out, {"error": f"{type(error).__name__}: {error}"})


class ModelProcess:
    """The model `name`, loading in a child process from construction; thread-safe (requests
    from concurrent sessions take turns on the one pipe)."""

    def __init__(self, name: str, nice: int = 19):
        self.requested = name
        # Not `python -m`: it puts the working folder first on the path, and a folder there
        # named `indexing` (a curator's project, another checkout) would be the child's code.
        start = f"import sys; sys.path.insert(0, {str(_PACKAGE_ROOT)!r}); from {__name__} import main; main()"
        self._process = subprocess.Popen(
            [sys.executable, "-c", start, name, "--nice", str(nice)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            start_new_session=True)  # the terminal's Ctrl-C goes to the server, which closes the child
        _lower_priority(self._process.pid, nice)  # at once, for Python's own start-up too
        self._lock = threading.Lock()
        self._info: dict[str, Any] | None = None
        self._error: WorkspaceError | None = None
        self._fingerprint: str | None = None
        self._closed = False
        weakref.finalize(self, _stop, self._process)

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def failed(self) -> bool:
        """True once closed, once a failed load has been reported, or once the loaded model's
        process has exited: a new `ModelProcess` is needed. (A load that failed unseen is
        reported first.)"""
        return self._closed or self._error is not None or \
            (self._info is not None and self._process.poll() is not None)

    def _stopped(self, doing: str) -> WorkspaceError:
        try:
            code = self._process.wait(5)
        except subprocess.TimeoutExpired:  # its answers closed, yet it runs: it is of no more use
            self._process.kill()
            code = self._process.wait()
        return WorkspaceError(f"the process of model {self.requested!r} stopped {doing} (exit code {code})")

    def _read_header(self) -> dict[str, Any]:
        line = self._process.stdout.readline()
        if not line:
            raise self._stopped("while it worked")
        return json.loads(line)

    def _ready(self) -> dict[str, Any]:
        """What the model is, once loaded (waits for the load; the caller holds the lock)."""
        if self._info is None and self._error is None:
            try:
                header = self._read_header()
            except WorkspaceError as error:
                self._error = error
            else:
                if "error" in header:
                    self._error = WorkspaceError(f"model {self.requested!r} could not be loaded: {header['error']}")
                else:
                    self._info = header
        if self._error is not None:
            raise self._error
        return self._info

    def _request(self, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        with self._lock:
            self._ready()
            try:
                self._process.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
                self._process.stdin.flush()
            except OSError:
                raise self._stopped("before it was asked") from None
            header = self._read_header()
            if "error" in header:
                raise WorkspaceError(f"model {self.requested!r}: {header['error']}")
            payload = b""
            if "shape" in header:
                size = int(np.prod(header["shape"])) * 4
                payload = self._process.stdout.read(size)
                if len(payload) != size:
                    raise self._stopped("while it answered")
            return header, payload

    def _field(self, key: str):
        with self._lock:
            return self._ready()[key]

    name = property(lambda self: self._field("name"))
    dimension = property(lambda self: self._field("dimension"))
    max_tokens = property(lambda self: self._field("max_tokens"))
    device = property(lambda self: self._field("device"))
    backend = property(lambda self: self._field("backend"))  # "onnx" (the cached export) or "torch"

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = self._request({"op": "fingerprint"})[0]["fingerprint"]
        return self._fingerprint

    def wait(self) -> ModelProcess:
        """Wait for the load; raises its error."""
        self._field("name")
        return self

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self._request({"op": "count", "texts": list(texts)})[0]["tokens"]

    def encode(self, texts: Sequence[str], tokens=None, advance: Callable[[int], None] = lambda n: None) -> np.ndarray:
        header, payload = self._request({"op": "encode", "texts": list(texts)})
        vectors = np.frombuffer(payload, dtype=np.float32).reshape(header["shape"]).copy()
        advance(len(vectors))
        return vectors

    def close(self) -> None:
        self._closed = True
        _stop(self._process)


def _stop(process: subprocess.Popen) -> None:
    """Close the child's stdin (it exits at once when idle) and reap it; kill it if it will
    not go (a child still loading the model reads its stdin only after the load)."""
    try:
        process.stdin.close()
    except OSError:
        pass
    try:
        process.wait(1)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--nice", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        serve(args.model, args.nice)
    except (BrokenPipeError, KeyboardInterrupt):  # the server went away mid-answer
        pass


if __name__ == "__main__":
    main()
