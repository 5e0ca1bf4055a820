"""Unit tests for indexing.ingest.prefetch: order, errors handed to the consumer, early stop."""

from __future__ import annotations

import threading
import time

import pytest

from indexing.ingest.prefetch import prefetch


class Source:
    """An endless (or bounded) producer that records what it did and on which thread."""

    def __init__(self, limit: int | None = None, fail_at: int | None = None, delay: float = 0.0):
        self.limit, self.fail_at, self.delay = limit, fail_at, delay
        self.produced = 0
        self.thread: threading.Thread | None = None
        self.error = RuntimeError("boom at item")

    def __iter__(self):
        self.thread = threading.current_thread()
        i = 0
        while self.limit is None or i < self.limit:
            if i == self.fail_at:
                raise self.error
            if self.delay:
                time.sleep(self.delay)
            self.produced += 1
            yield i
            i += 1


@pytest.mark.parametrize("depth", [1, 2, 7])
def test_order_preserved(depth):
    assert list(prefetch(range(500), depth=depth)) == list(range(500))


def test_order_preserved_with_slow_producer_and_consumer():
    out = []
    for item in prefetch(Source(limit=30, delay=0.001), depth=2):
        if item % 5 == 0:
            time.sleep(0.003)
        out.append(item)
    assert out == list(range(30))


def test_empty():
    assert list(prefetch([])) == []


def test_runs_in_another_thread():
    source = Source(limit=3)
    assert list(prefetch(source)) == [0, 1, 2]
    assert source.thread is not threading.current_thread()
    assert source.thread.name == "loupe-prefetch"
    assert not source.thread.is_alive()


def test_producer_exception_reraised_in_consumer_after_earlier_items():
    source = Source(limit=10, fail_at=4)
    got = []
    with pytest.raises(RuntimeError) as info:
        for item in prefetch(source):
            got.append(item)
    assert info.value is source.error
    assert got == [0, 1, 2, 3]
    source.thread.join(timeout=2)
    assert not source.thread.is_alive()


def test_producer_exception_on_first_item():
    source = Source(fail_at=0)
    with pytest.raises(RuntimeError, match="boom at item"):
        list(prefetch(source))


def test_consumer_break_stops_producer():
    source = Source(limit=None)  # endless
    depth = 2
    got = []
    started = time.monotonic()
    for item in prefetch(source, depth=depth):
        got.append(item)
        if item == 4:
            break
    elapsed = time.monotonic() - started
    assert got == [0, 1, 2, 3, 4]
    assert elapsed < 2.0  # the producer noticed the stop (it polls every 0.1 s)
    assert not source.thread.is_alive()
    produced = source.produced
    # at most: what was consumed, the queue's depth, and one item held by a blocked put
    assert 5 <= produced <= 5 + depth + 1
    time.sleep(0.3)
    assert source.produced == produced


def test_consumer_exception_stops_producer():
    source = Source(limit=None)

    def consume():
        for item in prefetch(source, depth=1):
            if item == 2:
                raise KeyError("consumer failed")

    with pytest.raises(KeyError):
        consume()
    source.thread.join(timeout=2)
    assert not source.thread.is_alive()
    produced = source.produced
    time.sleep(0.3)
    assert source.produced == produced <= 3 + 1 + 1


def test_explicit_close_stops_producer():
    source = Source(limit=None)
    it = prefetch(source, depth=3)
    assert [next(it), next(it)] == [0, 1]
    it.close()
    assert not source.thread.is_alive()
    with pytest.raises(StopIteration):
        next(it)
