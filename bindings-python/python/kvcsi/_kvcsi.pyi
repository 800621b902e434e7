"""The native half of kvcsi (Rust, pyo3). Use the documented API in ``kvcsi`` instead."""

from typing import List, Optional, Tuple, Union, final

__all__ = [
    "InputError",
    "KvcsiError",
    "LimitExceeded",
    "RuleError",
    "SuppressionError",
    "Engine",
    "Options",
    "Report",
    "Session",
    "__version__",
]

__version__: str

class KvcsiError(Exception):
    """Base class of every error kvcsi raises (file problems raise the built-in OSError subclasses)."""

class RuleError(KvcsiError):
    """A rule failed to load or, with strict=True, failed while it ran."""

    code: str
    file: str
    line: Optional[int]
    column: Optional[int]
    hint: Optional[str]

class InputError(KvcsiError):
    """The input cannot be used: with strict=True, evidence with nothing usable in it."""

    source: str

class SuppressionError(InputError):
    """A suppression list has a malformed entry."""

    path: str
    line: int

class LimitExceeded(KvcsiError):
    """With strict=True, a rule broke one of its limits."""

    limit: str

@final
class Options:
    def __new__(
        cls,
        lang: str,
        redact: bool,
        suppress_paths: List[str],
        suppress_texts: List[Tuple[str, str]],
        strict: bool,
    ) -> Options: ...
    @property
    def lang(self) -> str: ...

@final
class Report:
    @property
    def exit_status(self) -> int: ...
    def to_json(self) -> str: ...
    def to_markdown(self) -> str: ...
    def to_html(self, full: bool) -> str: ...
    def to_text(self, colour: bool) -> str: ...
    def localized(self, lang: str) -> Report: ...

@final
class Session:
    def feed(self, name: str, data: Union[str, bytes]) -> None: ...
    def end(self, name: str) -> None: ...
    def finish(self) -> Report: ...
    @property
    def finished(self) -> bool: ...

@final
class Engine:
    def __new__(
        cls, rule_paths: List[str], rule_texts: List[Tuple[str, str]], builtin: bool
    ) -> Engine: ...
    def catalogue(self) -> str: ...
    def check_paths(self, paths: List[str], options: Options) -> Report: ...
    def check_texts(
        self, items: List[Tuple[str, Union[str, bytes]]], options: Options
    ) -> Report: ...
    def session(self, options: Options) -> Session: ...
