"""The project's exception hierarchy. No click, no msgraph: the CLI maps these to exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in a policy file; line and column are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the desired state: `file:line:col: field.path: message`."""

    message: str
    path: str = ""
    location: SourceLocation | None = None
    severity: str = "error"  # "error" | "warning" | "note" (a documented limit worth knowing)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        field_path = f"{self.path}: " if self.path else ""
        return f"{where}{field_path}{self.message}"


class CrosstenantError(Exception):
    """Base of every error the CLI knows how to report."""


class ConfigError(CrosstenantError):
    """The desired state is invalid; nothing was sent to any tenant."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(
            diagnostics,
            key=lambda d: (d.location or SourceLocation("", 0, 0), d.path, d.message),
        )
        super().__init__("\n".join(str(d) for d in self.diagnostics))


@dataclass
class GraphError(CrosstenantError):
    """A Graph call failed. `code` is Graph's error code; code against it, never the message."""

    status: int
    code: str
    message: str
    request_id: str | None = None
    method: str = ""
    path: str = ""
    retry_after: float | None = None
    details: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        Exception.__init__(self, str(self))

    def __str__(self) -> str:
        rid = f" (request-id {self.request_id})" if self.request_id else ""
        call = f"{self.method} {self.path}: " if self.method else ""
        return f"{call}{self.status} {self.code}: {self.message}{rid}"


class NotFoundError(GraphError):
    """404: the object does not exist (or has not replicated yet)."""


class ConflictError(GraphError):
    """409: the object exists already (`Request_MultipleObjectsWithSameKeyValue`)."""


class ForbiddenError(GraphError):
    """401/403: the token lacks a permission or the credential is refused."""


class TransientGraphError(GraphError):
    """429/5xx/connection trouble that outlasted the retries; a later run may succeed."""


class PermanentGraphError(GraphError):
    """A 4xx that retrying cannot fix."""


class AuthError(CrosstenantError):
    """A credential could not be built or could not get a token (the message never holds a secret)."""


class UnsafePlanError(CrosstenantError):
    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__("the plan is unsafe:\n" + "\n".join(f"  - {r}" for r in self.reasons))


class StalePlanError(CrosstenantError):
    def __init__(self, message: str):
        super().__init__(message)


class PlanError(CrosstenantError):
    """The live tenants could not be compared with the desired state (e.g. an ambiguous name).

    Raised before any change is computed: a plan is never guessed.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
