"""Errors the domain raises when a command cannot be carried out.

Each names the offending field (where there is one) and says why, so every interface can
turn it into a precise answer (HTTP status + JSON body, or one CLI line) without guessing.
"""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused; nothing was changed."""

    code = "error"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(DomainError):
    """A value is malformed or not one of the accepted values (HTTP 400)."""

    code = "invalid_input"


class RuleViolation(DomainError):
    """The input is well formed but breaks a business rule (HTTP 422)."""

    code = "rule_violation"


class NotFound(DomainError):
    """The thing does not exist, or belongs to another user (HTTP 404: ids must not leak)."""

    code = "not_found"


class Forbidden(DomainError):
    """The caller may see the thing but not change it, e.g. the shared catalog, which only an
    admin imports (HTTP 403)."""

    code = "forbidden"


class Conflict(DomainError):
    """The command clashes with the current state, e.g. a stale expected version (HTTP 409)."""

    code = "conflict"

    def __init__(self, detail: str, field: str | None = None, current_version: int | None = None) -> None:
        super().__init__(detail, field)
        self.current_version = current_version
