"""Diagnose Azure Key Vault Secrets Store CSI driver mount failures on AKS.

kvcsi reads the evidence an operator already has (pod events, driver and provider logs,
``nslookup``/``nc``/``curl`` output, ``az`` JSON, Kubernetes objects), names the cause, points
at the lines that prove it and says what to change. The checks run in the same Rust core as the
``kvcsi`` command line tool, so a report here is the report the CLI prints.

>>> import kvcsi
>>> report = kvcsi.check("examples/notebook/bundles/aks-win-japaneast.tar.gz")
>>> for finding in report.findings:  # doctest: +SKIP
...     print(finding.severity, finding.rule, "-", finding.title)
error driver-not-registered - The Secrets Store CSI driver is not registered on the node
error provider-not-reachable - ...
>>> report.exit_status  # doctest: +SKIP
3
>>> print(report.to_markdown())  # doctest: +SKIP
# kvcsi report
...

(The examples marked to be skipped show real output of the built-in rules, which grow and
change; every other example here runs as a test.)

Inputs are paths (files, folders, ``.tar.gz`` bundles), lists of paths, or ``{name: text}``
mappings. The GIL is released while the core works, so an :class:`Engine` can serve a thread
pool. Errors are :class:`KvcsiError` subclasses, or the built-in :class:`OSError` subclasses
for file problems.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    List,
    Literal,
    Mapping,
    Optional,
    Tuple,
    Union,
)

from . import _kvcsi
from ._kvcsi import (
    InputError,
    KvcsiError,
    LimitExceeded,
    RuleError,
    SuppressionError,
    __version__,
)

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "Diagnostic",
    "Engine",
    "Evidence",
    "Finding",
    "InputError",
    "KvcsiError",
    "LimitExceeded",
    "Report",
    "Request",
    "RuleError",
    "RuleInfo",
    "Session",
    "Step",
    "SuppressionError",
    "__version__",
    "check",
    "check_text",
    "rules",
]

Severity = Literal["error", "warning", "info"]
"""How serious a finding is: ``error`` (the mount fails because of it), ``warning``, ``info``."""

StrPath = Union[str, "os.PathLike[str]"]
"""A path as ``str`` or :class:`os.PathLike`."""

Inputs = Union[StrPath, Iterable[StrPath], Mapping[str, Union[str, bytes, bytearray, memoryview]]]
"""What :func:`check` reads: a path, several paths, or ``{name: text or bytes}``."""

Sources = Union[StrPath, Iterable[StrPath], Mapping[str, str]]
"""Rules or suppressions: a path, several paths, or ``{name: text}`` held in memory."""


@dataclass(frozen=True)
class Evidence:
    """Lines that prove a finding: ``source`` (evidence name), 1-based ``lines`` and their text.

    >>> Evidence("describe.txt", (4, 4), "Warning FailedMount ...").lines
    (4, 4)
    """

    source: str
    lines: Tuple[int, int]
    text: str


@dataclass(frozen=True)
class Step:
    """One remediation step: what to do and, when there is one, the command to run.

    >>> Step("Restart the driver pod.", None).command is None
    True
    """

    text: str
    command: Optional[str] = None


@dataclass(frozen=True)
class Request:
    """Evidence that would settle or confirm a cause: which, why, and the command producing it.

    >>> Request("dns-zone", "dns", "No nslookup output was given.", "nslookup myvault.vault.azure.net").evidence
    'dns'
    """

    rule: str
    evidence: str
    reason: str
    command: Optional[str] = None


@dataclass(frozen=True)
class Finding:
    """One root cause on one subject (pod, volume, vault, node), with the lines that prove it.

    ``cause`` is the cause number in Microsoft's troubleshooting article (1 to 9) or ``None``;
    ``confidence`` is ``high``, ``medium`` or ``low``.

    >>> f = Finding(rule="throttled-429", severity="warning", title="Throttled", message="...")
    >>> f.rule, f.severity, f.evidence
    ('throttled-429', 'warning', ())
    """

    rule: str
    severity: Severity
    title: str
    message: str
    cause: Optional[int] = None
    confidence: str = "high"
    subject: Mapping[str, str] = field(default_factory=dict)
    evidence: Tuple[Evidence, ...] = ()
    remediation: Tuple[Step, ...] = ()
    requests: Tuple[Request, ...] = ()
    references: Tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        """Builds a finding from its JSON form (one item of ``report.to_dict()["findings"]``).

        >>> Finding.from_dict({"rule": "x", "severity": "info", "title": "t", "message": "m",
        ...                    "evidence": [{"source": "a.log", "lines": [1, 2], "text": "..."}]}).evidence[0].lines
        (1, 2)
        """
        return cls(
            rule=d["rule"],
            severity=d["severity"],
            title=d["title"],
            message=d["message"],
            cause=d.get("cause"),
            confidence=d.get("confidence", "high"),
            subject=dict(d.get("subject", {})),
            evidence=tuple(
                Evidence(e["source"], (e["lines"][0], e["lines"][1]), e["text"])
                for e in d.get("evidence", ())
            ),
            remediation=tuple(Step(s["text"], s.get("command")) for s in d.get("remediation", ())),
            requests=tuple(
                Request(r["rule"], r["evidence"], r["reason"], r.get("command"))
                for r in d.get("requests", ())
            ),
            references=tuple(d.get("references", ())),
            data=dict(d.get("data", {})),
        )


@dataclass(frozen=True)
class Diagnostic:
    """Something about the input or a rule worth knowing that is not a finding.

    >>> Diagnostic("no-input", "no evidence was given").code
    'no-input'
    """

    code: str
    message: str
    source: Optional[str] = None
    rule: Optional[str] = None
    limit: Optional[str] = None


@dataclass(frozen=True)
class RuleInfo:
    """One rule of the catalogue (see :func:`rules`); ``origin`` is ``builtin`` or ``user``.

    >>> RuleInfo("my-rule", "warning", None, "My rule", None, ("logs",), "mine.rhai", "user").origin
    'user'
    """

    id: str
    severity: Severity
    cause: Optional[int]
    title: Optional[str]
    title_ja: Optional[str]
    needs: Tuple[str, ...]
    source: str
    origin: str


_FRAME_COLUMNS = ["rule", "severity", "cause", "confidence", "title", "message"]


class Report:
    """The result of a check: findings, what was ruled out, diagnostics, and renderings.

    Reports are immutable; rendering happens in the core, so :meth:`to_json` is byte for byte
    what ``kvcsi check --format json`` prints for the same evidence, and ``_repr_html_`` shows
    the core's HTML report in Jupyter.

    >>> report = check_text("no evidence of anything here")
    >>> report.findings, report.exit_status
    ((), 0)
    >>> report.to_json() == check_text("no evidence of anything here").to_json()
    True
    """

    __slots__ = ("_native", "_dict", "_findings")

    def __init__(self, native: _kvcsi.Report) -> None:
        self._native = native
        self._dict: Optional[Dict[str, Any]] = None
        self._findings: Optional[Tuple[Finding, ...]] = None

    def to_dict(self) -> Dict[str, Any]:
        """The report as plain Python values (the parsed :meth:`to_json`; a fresh copy each call).

        >>> sorted(check_text("hello").to_dict())[:4]
        ['diagnostics', 'findings', 'kvcsi_version', 'lang']
        """
        if self._dict is None:
            self._dict = json.loads(self._native.to_json())
        return json.loads(json.dumps(self._dict))

    @property
    def findings(self) -> Tuple[Finding, ...]:
        """Findings, most important first (suppressed findings are in ``to_dict()["suppressed"]``)."""
        if self._findings is None:
            self._findings = tuple(Finding.from_dict(f) for f in self.to_dict()["findings"])
        return self._findings

    @property
    def diagnostics(self) -> Tuple[Diagnostic, ...]:
        """Input and rule problems that are not findings (unreadable bundle, rule over budget...).

        >>> [d.code for d in check({}).diagnostics]
        ['no-input']
        """
        return tuple(
            Diagnostic(d["code"], d["message"], d.get("source"), d.get("rule"), d.get("limit"))
            for d in self.to_dict()["diagnostics"]
        )

    @property
    def exit_status(self) -> int:
        """What ``kvcsi check`` exits with: 0 nothing wrong, 3 an error finding, 4 warnings only,
        2 nothing usable in the input."""
        return self._native.exit_status

    @property
    def lang(self) -> str:
        """The language of the texts, ``en`` or ``ja``."""
        lang: str = self.to_dict()["lang"]
        return lang

    def to_json(self) -> str:
        """Pretty JSON with a trailing newline, identical to ``kvcsi check --format json``."""
        return self._native.to_json()

    def to_markdown(self) -> str:
        """Markdown, as ``kvcsi check --format markdown`` prints it.

        >>> check_text("hello").to_markdown().splitlines()[0]
        '# kvcsi report'
        """
        return self._native.to_markdown()

    def to_html(self, full: bool = True) -> str:
        """A self-contained HTML page (``full``) or a fragment to embed.

        >>> check_text("hello").to_html().startswith("<!DOCTYPE html>")
        True
        """
        return self._native.to_html(full)

    def to_text(self, colour: bool = False) -> str:
        """Plain text as ``kvcsi check`` prints it; ANSI colours when ``colour``."""
        return self._native.to_text(colour)

    def localized(self, lang: str) -> Report:
        """The same report in another language (``en`` or ``ja``), without checking again.

        >>> check_text("hello").localized("ja").lang
        'ja'
        """
        return Report(self._native.localized(lang))

    def to_pandas(self) -> pandas.DataFrame:
        """One row per finding: rule, severity, cause, confidence, title, message, then one column
        per subject key (namespace, pod, volume, vault, node...). Needs pandas
        (``pip install kvcsi[pandas]``).

        >>> list(check_text("hello").to_pandas().columns)
        ['rule', 'severity', 'cause', 'confidence', 'title', 'message']
        """
        try:
            import pandas  # type: ignore[import-untyped, unused-ignore]
        except ImportError as error:
            raise ImportError(
                "Report.to_pandas() needs pandas: pip install 'kvcsi[pandas]'"
            ) from error
        rows = [
            {**{c: f[c] for c in _FRAME_COLUMNS}, **f.get("subject", {})}
            for f in self.to_dict()["findings"]
        ]
        extra = sorted({k for row in rows for k in row} - set(_FRAME_COLUMNS))
        return pandas.DataFrame(rows, columns=_FRAME_COLUMNS + extra)

    def _repr_html_(self) -> str:
        return self._native.to_html(False)

    def __str__(self) -> str:
        return self._native.to_text(False)

    def __repr__(self) -> str:
        rules = ", ".join(f"{f.rule} ({f.severity})" for f in self.findings)
        return f"<kvcsi.Report exit_status={self.exit_status} findings=[{rules}]>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Report) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]


class Session:
    """A streaming check: feed evidence in chunks, then :meth:`finish`. Use it for files too large
    to hold in memory; memory stays bounded however much is fed. A session is also a context
    manager (leaving the ``with`` block does not finish it).

    >>> engine = Engine()
    >>> session = engine.session()
    >>> session.feed("provider.log", "I1128 10:00:00.000000       1 main.go:10] starting\\n")
    >>> session.end("provider.log")
    >>> session.finish().exit_status
    0
    """

    __slots__ = ("_native",)

    def __init__(self, native: _kvcsi.Session) -> None:
        self._native = native

    def feed(self, name: str, chunk: Union[str, bytes, bytearray, memoryview]) -> None:
        """Feeds the next chunk (text or bytes) of the evidence called ``name``; names may
        interleave. Bytes need not end on a line or character boundary. Raises
        :class:`ValueError` once finished."""
        self._native.feed(name, bytes(chunk) if isinstance(chunk, (bytearray, memoryview)) else chunk)

    def end(self, name: str) -> None:
        """Declares the evidence ``name`` complete (optional: :meth:`finish` ends every stream)."""
        self._native.end(name)

    def finish(self) -> Report:
        """Runs the rules over everything fed and returns the report."""
        return Report(self._native.finish())

    @property
    def finished(self) -> bool:
        """Whether :meth:`finish` was called."""
        return self._native.finished

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def _fspath(path: Any) -> str:
    if isinstance(path, (str, os.PathLike)):
        return os.fsdecode(os.fspath(path))
    raise TypeError(f"expected a path (str or os.PathLike), not {type(path).__name__}")


def _split(value: Any, what: str) -> Tuple[List[str], List[Tuple[str, Any]]]:
    """Paths and in-memory (name, content) pairs of a path / paths / mapping argument."""
    if value is None:
        return [], []
    if isinstance(value, (str, os.PathLike)):
        return [_fspath(value)], []
    if isinstance(value, Mapping):
        return [], [(str(name), content) for name, content in value.items()]
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"{what} must be a path, a list of paths or a {{name: text}} mapping; "
            "for pasted text use kvcsi.check_text() or {'paste': text}"
        )
    if isinstance(value, Iterable):
        return [_fspath(p) for p in value], []
    raise TypeError(
        f"{what} must be a path, a list of paths or a {{name: text}} mapping, "
        f"not {type(value).__name__}"
    )


def _options(suppress: Optional[Sources], lang: str, redact: bool, strict: bool) -> _kvcsi.Options:
    paths, texts = _split(suppress, "suppress")
    for name, text in texts:
        if not isinstance(text, str):
            raise TypeError(f"suppression list {name!r} must be str, not {type(text).__name__}")
    return _kvcsi.Options(lang, redact, paths, texts, strict)


class Engine:
    """Rules compiled once, for many checks. Thread-safe: share one engine across a thread pool
    (the GIL is released while the core works).

    ``rules`` adds user rules: a ``.rhai`` file or folder, a list of them, or ``{name: source}``.
    A user rule with a built-in id replaces the built-in rule; ``builtin=False`` runs only the
    user rules. A rule that does not load raises :class:`RuleError`.

    >>> engine = Engine(rules={"mine.rhai": '''
    ... fn meta() {
    ...     #{ api_version: 1, id: "hello-world", severity: "info", needs: [],
    ...        patterns: #{ hello: #{ literals: ["hello"] } },
    ...        text: #{ en: #{ title: "Hello", message: "Someone said hello." } } }
    ... }
    ... fn check(facts, matches) {
    ...     if matches.hello.count == 0 { return []; }
    ...     [finding(#{ evidence: matches.hello.first })]
    ... }
    ... '''}, builtin=False)
    >>> [f.title for f in engine.check({"chat.txt": "hello there"}).findings]
    ['Hello']
    """

    __slots__ = ("_native",)

    def __init__(self, rules: Optional[Sources] = None, *, builtin: bool = True) -> None:
        paths, texts = _split(rules, "rules")
        for name, text in texts:
            if not isinstance(text, str):
                raise TypeError(f"rule {name!r} must be str, not {type(text).__name__}")
        self._native = _kvcsi.Engine(paths, texts, builtin)

    def check(
        self,
        inputs: Inputs,
        *,
        suppress: Optional[Sources] = None,
        lang: str = "en",
        redact: bool = True,
        strict: bool = False,
    ) -> Report:
        """Checks evidence; see :func:`check` for the arguments."""
        options = _options(suppress, lang, redact, strict)
        paths, texts = _split(inputs, "inputs")
        if isinstance(inputs, Mapping):
            texts = [(n, bytes(v) if isinstance(v, (bytearray, memoryview)) else v) for n, v in texts]
            return Report(self._native.check_texts(texts, options))
        return Report(self._native.check_paths(paths, options))

    def check_text(
        self,
        text: Union[str, bytes],
        name: str = "paste",
        *,
        suppress: Optional[Sources] = None,
        lang: str = "en",
        redact: bool = True,
        strict: bool = False,
    ) -> Report:
        """Checks pasted text (``str`` or ``bytes``) as one piece of evidence called ``name``."""
        return self.check({name: text}, suppress=suppress, lang=lang, redact=redact, strict=strict)

    def session(
        self,
        *,
        suppress: Optional[Sources] = None,
        lang: str = "en",
        redact: bool = True,
        strict: bool = False,
    ) -> Session:
        """Starts a streaming :class:`Session` with these options."""
        return Session(self._native.session(_options(suppress, lang, redact, strict)))

    def rules(self) -> List[RuleInfo]:
        """The rules this engine runs, in id order."""
        return [
            RuleInfo(
                r["id"], r["severity"], r["cause"], r["title"], r["title_ja"],
                tuple(r["needs"]), r["source"], r["origin"],
            )
            for r in json.loads(self._native.catalogue())
        ]


_ENGINES: Dict[bool, Engine] = {}


def _builtin_engine(builtin: bool) -> Engine:
    engine = _ENGINES.get(builtin)
    if engine is None:
        engine = _ENGINES.setdefault(builtin, Engine(builtin=builtin))
    return engine


def _engine(rules: Optional[Sources], builtin: bool) -> Engine:
    return _builtin_engine(builtin) if rules is None else Engine(rules, builtin=builtin)


def check(
    inputs: Inputs,
    *,
    rules: Optional[Sources] = None,
    suppress: Optional[Sources] = None,
    lang: str = "en",
    redact: bool = True,
    builtin: bool = True,
    strict: bool = False,
) -> Report:
    """Checks evidence and returns a :class:`Report`.

    ``inputs``:
      - a path (``str`` or :class:`os.PathLike`): a file, a folder (walked recursively in name
        order, hidden files skipped) or a ``.tar.gz`` bundle. A path that does not exist raises
        :class:`FileNotFoundError`; a ``str`` is never taken as evidence text (use
        :func:`check_text` for that);
      - a list (any iterable) of paths, read in the order given;
      - a mapping ``{name: text or bytes}`` of evidence held in memory.

    Evidence given as paths is named exactly as the CLI names it, so ``to_json()`` equals
    ``kvcsi check <same paths> --format json``.

    ``rules``: user rules, as for :class:`Engine`. Without them a cached engine with the
    built-in rules is used; with them the rules are compiled for this call only (build an
    :class:`Engine` to compile them once).

    ``suppress``: suppression lists, as paths to suppression files (a path or a list) or as
    text held in memory, ``{name: text}``; each entry is ``rule-id [namespace=|pod=|vault=|source=value]
    # reason: ...``. The ``.kvcsi-ignore`` file the CLI reads is never loaded implicitly.

    ``lang``: ``en`` or ``ja``. ``redact``: hide credentials found in the evidence (default).
    ``builtin``: run the built-in rules (default). ``strict``: raise instead of reporting a
    diagnostic when a rule breaks a limit (:class:`LimitExceeded`) or fails while it runs
    (:class:`RuleError`), or when nothing in the input is usable (:class:`InputError`).

    >>> check({"describe.txt": "Events: <none>"}, lang="ja").lang
    'ja'
    >>> check("no/such/file")
    Traceback (most recent call last):
    ...
    FileNotFoundError: [Errno 2] No such file or directory: 'no/such/file'
    """
    return _engine(rules, builtin).check(
        inputs, suppress=suppress, lang=lang, redact=redact, strict=strict
    )


def check_text(
    text: Union[str, bytes],
    name: str = "paste",
    *,
    rules: Optional[Sources] = None,
    suppress: Optional[Sources] = None,
    lang: str = "en",
    redact: bool = True,
    builtin: bool = True,
    strict: bool = False,
) -> Report:
    """Checks pasted text as one piece of evidence called ``name``; the other arguments are those
    of :func:`check`. One paste may mix kinds (events, logs, command output): kvcsi splits it.

    >>> check_text(b"", strict=True)
    Traceback (most recent call last):
    ...
    kvcsi.InputError: invalid input paste: nothing usable in the input: ...
    """
    return check({name: text}, rules=rules, suppress=suppress, lang=lang, redact=redact,
                 builtin=builtin, strict=strict)


def rules(*, rules: Optional[Sources] = None, builtin: bool = True) -> List[RuleInfo]:
    """Lists the rule catalogue (built-in rules, plus user ``rules`` as for :class:`Engine`).

    >>> any(r.id == "driver-not-registered" for r in rules())
    True
    """
    return _engine(rules, builtin).rules()
