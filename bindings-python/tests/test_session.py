"""The streaming session: chunks of any size, interleaved names, bounded memory."""

from __future__ import annotations

import pytest

import kvcsi
from conftest import case_dirs


def test_chunks_give_the_same_report_as_one_piece(sample) -> None:  # type: ignore[no-untyped-def]
    evidence, rule, _ = sample
    evidence = {**evidence, "note.txt": "ノード aks-nodepool1 で失敗しています\n".encode()}
    whole = kvcsi.check(evidence)
    session = kvcsi.Engine().session()
    for name, data in evidence.items():
        for i in range(0, len(data), 7):  # splits lines and UTF-8 sequences
            session.feed(name, data[i : i + 7])
        session.end(name)
    streamed = session.finish()
    assert streamed.to_json() == whole.to_json()
    assert streamed.findings[0].rule == rule


def test_interleaved_names_and_str_chunks(driver_event: str) -> None:
    engine = kvcsi.Engine()
    expected = engine.check({"a.txt": driver_event, "b.log": "one\ntwo\n"})
    with engine.session() as session:
        session.feed("a.txt", driver_event[:20])
        session.feed("b.log", "one\n")
        session.feed("a.txt", driver_event[20:])
        session.feed("b.log", "two\n")
        report = session.finish()
    assert report.to_json() == expected.to_json()


@pytest.mark.skipif(not case_dirs(), reason="no evidence cases")
def test_session_options_apply() -> None:
    case = case_dirs()[0]
    files = sorted(p for p in case.iterdir() if p.name != "expected.json")
    session = kvcsi.Engine().session(lang="ja", redact=False)
    for path in files:
        session.feed(path.name, path.read_bytes())
    report = session.finish()
    assert report.lang == "ja" and report.to_dict()["redacted"] is False
    assert report.to_json() == kvcsi.check({p.name: p.read_bytes() for p in files}, lang="ja", redact=False).to_json()


def test_a_finished_session_cannot_be_fed() -> None:
    session = kvcsi.Engine().session()
    session.feed("a", "x\n")
    assert not session.finished
    session.finish()
    assert session.finished
    with pytest.raises(ValueError, match="finished"):
        session.feed("a", "more")
    with pytest.raises(ValueError, match="finished"):
        session.end("a")
    with pytest.raises(ValueError, match="finished"):
        session.finish()


def test_bad_chunk_type() -> None:
    with pytest.raises(TypeError, match="str or bytes"):
        kvcsi.Engine().session().feed("a", 3)  # type: ignore[arg-type]


def test_session_streams_a_tar_gz(hello: kvcsi.Engine) -> None:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"hello\n"
        info = tarfile.TarInfo("cluster/describe.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    session = hello.session()
    raw = buffer.getvalue()
    for i in range(0, len(raw), 100):
        session.feed("b.tar.gz", raw[i : i + 100])
    streamed = session.finish()
    assert {e.source for f in streamed.findings for e in f.evidence} == {"b.tar.gz:cluster/describe.txt"}
    assert streamed.findings == hello.check({"b.tar.gz": raw}).findings
