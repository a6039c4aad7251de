"""Fault rules for `/v1.0` requests: an error status, a dropped connection or a delay on the Nth
request that matches a method and a path glob (the path after `/v1.0`)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from reconciler.emulator.errors import GraphHTTPError

MAX_DELAY_SECONDS = 60.0

# Graph's codes for a status when the rule names none (429: throttling-429.response.json).
DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Bad request."),
    401: ("InvalidAuthenticationToken", "Access token validation failure."),
    403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    404: ("Request_ResourceNotFound", "Resource not found."),
    409: ("Request_MultipleObjectsWithSameKeyValue", "Another object with the same value already exists."),
    429: ("TooManyRequests", "Please retry again later."),
    500: ("InternalServerError", "An internal server error occurred."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
    504: ("GatewayTimeout", "The gateway timed out."),
}


class FaultRuleError(ValueError):
    """A rule posted to the control API is malformed."""


@dataclass
class FaultRule:
    path: str  # fnmatch glob on the path after /v1.0, e.g. "/policies/crossTenantAccessPolicy/partners/*"
    method: str = "*"
    nth: int = 1  # the Nth matching request from now fires first (1-based)
    times: int = 1  # and so many consecutive matching requests
    status: int | None = None
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    reset: bool = False  # drop the connection without a response
    delay: float | None = None  # seconds to hold the request before handling it
    seen: int = field(default=0)  # matching requests so far

    @classmethod
    def from_json(cls, data: Any) -> FaultRule:
        if not isinstance(data, dict):
            raise FaultRuleError("a fault rule is a JSON object")
        allowed = {"path", "method", "nth", "times", "status", "code", "message", "retry_after", "reset", "delay"}
        unknown = set(data) - allowed
        if unknown:
            raise FaultRuleError(f"unknown fault rule keys: {sorted(unknown)}")
        if not isinstance(data.get("path"), str) or not data["path"].startswith("/"):
            raise FaultRuleError("'path' must be a glob starting with '/' (the path after /v1.0)")
        rule = cls(**data)
        rule.method = str(rule.method).upper()
        _require(isinstance(rule.nth, int) and rule.nth >= 1, "'nth' must be an integer >= 1")
        _require(isinstance(rule.times, int) and rule.times >= 1, "'times' must be an integer >= 1")
        _require(rule.status is None or (isinstance(rule.status, int) and 400 <= rule.status <= 599),
                 "'status' must be an HTTP error status (400-599)")
        _require(rule.delay is None or (isinstance(rule.delay, (int, float)) and 0 <= rule.delay <= MAX_DELAY_SECONDS),
                 f"'delay' must be between 0 and {MAX_DELAY_SECONDS} seconds")
        _require(rule.retry_after is None or (isinstance(rule.retry_after, (int, float)) and rule.retry_after >= 0),
                 "'retry_after' must be a number of seconds")
        _require(isinstance(rule.reset, bool), "'reset' must be a boolean")
        _require(rule.reset or rule.status is not None or rule.delay is not None,
                 "a rule needs 'status', 'reset' or 'delay'")
        return rule

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method.upper())) and fnmatchcase(path, self.path)

    @property
    def exhausted(self) -> bool:
        return self.seen >= self.nth + self.times - 1

    def error(self) -> GraphHTTPError:
        assert self.status is not None
        code, message = DEFAULT_ERRORS.get(self.status, ("UnknownError", "An error occurred."))
        headers = {"Retry-After": _seconds(self.retry_after)} if self.retry_after is not None else {}
        return GraphHTTPError(self.status, self.code or code, self.message or message, headers=headers)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "exhausted": self.exhausted}


class FaultRules:
    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    def take(self, method: str, path: str) -> FaultRule | None:
        """Count this request against every matching rule; the first rule whose turn it is fires."""
        fired: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path):
                    continue
                rule.seen += 1
                if fired is None and rule.seen >= rule.nth:
                    fired = rule
        return fired


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise FaultRuleError(message)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
