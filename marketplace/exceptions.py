"""Domain errors: a stable code for machines and a translatable message for people.

Services raise them; views, the admin, the API and imports turn them into clear messages
(never a 500). `http_status` is what the API answers: 400 bad input, 404 not visible to the
caller, 409 a state conflict.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    http_status = 400
    default_message = _("The request could not be processed.")

    def __init__(self, message: Any = None, *, code: str | None = None, **params: Any) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.params = params
        super().__init__(str(self.message))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class ValidationFailed(DomainError):
    code = "invalid"
    default_message = _("The input is not valid.")


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_message = _("Not found.")


class StateConflict(DomainError):
    code = "state_conflict"
    http_status = 409
    default_message = _("This action is not allowed in the current state.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403
    default_message = _("You do not have permission to do this.")


class ReasonRequired(ValidationFailed):
    """Every change a person makes carries its audit reason (who, when and why)."""

    code = "reason_required"
    default_message = _("A reason is required.")


class TransitionRefused(StateConflict):
    """A state transition not allowed from the object's current state."""

    code = "transition_not_allowed"
    default_message = _("This action is not allowed in the current state.")
