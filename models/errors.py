"""Errors the write services raise, each with a message a person can act on."""
from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a write service reports to the person who asked for the change."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(ServiceError):
    """The input is not acceptable; `field` names what to fix."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class PermissionDenied(ServiceError):
    """The person may not make this change."""


class NotFound(ServiceError):
    """The record to change does not exist (any more)."""


class StaleEditError(ServiceError):
    """Someone else changed the record first; both values are kept so nothing is lost."""

    def __init__(self, message: str, *, current_value: float | None, current_version: int | None,
                 attempted_value: float | None):
        super().__init__(message)
        self.current_value = current_value
        self.current_version = current_version
        self.attempted_value = attempted_value
