"""The GIL is released while the core works, and one Engine serves many threads."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import kvcsi


@pytest.fixture(scope="module")
def large_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 120 MiB of provider log lines: large enough for a check to take a while."""
    path = tmp_path_factory.mktemp("large") / "provider.log"
    line = (
        'I1128 10:00:00.000000       1 server.go:120] "mount request" pod="default/app-{0}" '
        'volume="secrets-store-inline" secretProviderClass="azure-kv" took="12ms"\n'
    )
    block = "".join(line.format(i) for i in range(10_000)).encode()
    with path.open("wb") as out:
        for _ in range(max(1, (120 << 20) // len(block))):
            out.write(block)
    return path


def test_a_python_thread_keeps_running_while_check_works(large_log: Path) -> None:
    engine = kvcsi.Engine()
    done = threading.Event()
    result: list = []

    def work() -> None:
        # Repeat the check until it has run long enough to observe, however fast the core is.
        try:
            while True:
                result.append(engine.check(large_log))
                if time.perf_counter() - start > 0.6:
                    break
        finally:
            done.set()

    worker = threading.Thread(target=work)
    start = time.perf_counter()
    worker.start()
    counter = 0
    last = start
    longest_pause = 0.0
    while not done.is_set():
        counter += 1
        now = time.perf_counter()
        longest_pause = max(longest_pause, now - last)
        last = now
    worker.join()
    took = time.perf_counter() - start
    assert result and result[0].to_dict()["stats"]["bytes"] == large_log.stat().st_size
    assert took > 0.3, f"the check took {took:.2f}s: too short to show anything"
    # Had the GIL been held, this loop would have stopped for the whole check.
    assert counter > 10_000
    assert longest_pause < took / 2, f"the counter stopped for {longest_pause:.2f}s of {took:.2f}s"


def test_streaming_feed_releases_the_gil(large_log: Path) -> None:
    session = kvcsi.Engine().session()
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    counter = threading.Thread(target=count)
    counter.start()
    before = ticks
    with large_log.open("rb") as f:
        while chunk := f.read(8 << 20):
            session.feed("provider.log", chunk)
    report = session.finish()
    stop.set()
    counter.join()
    assert ticks - before > 1000
    assert report.exit_status in (0, 3, 4)


def test_one_engine_many_threads(hello: kvcsi.Engine) -> None:
    inputs = [{f"e{i}.txt": "hello\n" * (i + 1)} for i in range(16)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(hello.check, inputs))
    for i, report in enumerate(reports):
        assert [f.rule for f in report.findings] == ["hello-world"]
        assert report.findings[0].message == f"Someone said hello {i + 1} times."
        assert {e.source for e in report.findings[0].evidence} == {f"e{i}.txt"}


def test_one_session_fed_from_several_threads(driver_event: str) -> None:
    session = kvcsi.Engine().session()

    def feed(i: int) -> None:
        session.feed(f"e{i}.txt", driver_event)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(feed, range(8)))
    report = session.finish()
    assert report.to_dict()["stats"]["sources"] == 8
