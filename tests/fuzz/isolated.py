"""Run engine calls in a child process, so that a crash or a hang is a test failure.

A predicate that segfaults DataFusion or aborts on an allocation (issue 8, defect 5)
would take the whole pytest run down with it; here it kills only the worker, and
the test reports "crashed with signal 11 on <predicate>". A call that runs past
`timeout` is a hang: the worker is killed and restarted.

The worker opens one workspace once and answers calls of `OPERATIONS` by name:
("ok", summary) or ("raised", [class names of the exception's MRO], message).
"""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
import time
import types
from contextlib import contextmanager
from pathlib import Path


def _summary(value):
    """Something small and picklable that still lets tests compare results."""
    if hasattr(value, "num_rows"):  # a pyarrow Table
        return {"rows": value.num_rows, "ids": value.column("id").to_pylist() if "id" in value.column_names else None}
    if hasattr(value, "kept"):  # an ExportResult
        return {"kept": value.kept, "removed": value.removed}
    return value


def _serve(connection, root: str) -> None:
    from indexing import Workspace
    from indexing.exports.export import export

    ws = Workspace.open(root)
    scratch = Path(tempfile.mkdtemp(prefix="loupe-fuzz-export-"))
    exports = iter(range(10**9))
    operations = {
        "select": lambda p: ws.select(p),
        "count": lambda p: ws.count(p),
        "docs": lambda p: ws.docs(where=p, columns=["id"]),
        "export": lambda p: export(ws, where=p, out=scratch / f"e{next(exports)}"),
        "search": lambda p: ws.search("text", k=5, where=p),
        "rows": lambda _: (ws.count(), ws.labels._events().num_rows),
    }
    while True:
        try:
            name, argument = connection.recv()
        except EOFError:
            return
        try:
            connection.send(("ok", _summary(operations[name](argument))))
        except BaseException as error:  # every exception is reported, to be judged by the test
            names = [cls.__name__ for cls in type(error).__mro__]
            connection.send(("raised", names, str(error)[:2000]))


class Crashed(AssertionError):
    pass


@contextmanager
def _bare_main():
    """A spawned child first re-runs the parent's __main__; after an AppTest in this process
    that is Streamlit's page (its script runner leaves the page as __main__), which the child
    would run and die of. The child needs nothing from __main__: it gets an empty one."""
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = saved


class Worker:
    """One child process serving calls on the workspace at `root`."""

    def __init__(self, root: Path, timeout: float = 30.0):
        self.root, self.timeout = str(root), timeout
        self._context = multiprocessing.get_context("spawn")
        self._start()

    def _start(self) -> None:
        self._connection, child = self._context.Pipe()
        self._process = self._context.Process(target=_serve, args=(child, self.root), daemon=True)
        with _bare_main():
            self._process.start()
        child.close()


    def call(self, name: str, argument=None):
        """("ok", summary) or ("raised", mro names, message); Crashed on a crash or hang."""
        self._connection.send((name, argument))
        started = time.perf_counter()
        if self._connection.poll(self.timeout):
            try:
                return self._connection.recv()
            except EOFError:
                pass
        spent = time.perf_counter() - started
        alive = self._process.is_alive()
        self._process.join(0.5)
        code = self._process.exitcode
        self._restart()
        if alive and code is None:
            raise Crashed(f"{name}({argument!r:.300}) hung: no answer in {spent:.0f} s")
        raise Crashed(f"{name}({argument!r:.300}) crashed the process (exit code {code})")

    def _restart(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._connection.close()
        self._start()

    def close(self) -> None:
        self._connection.close()
        self._process.kill()
        self._process.join()
