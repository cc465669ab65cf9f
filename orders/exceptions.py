"""Domain errors of the orders app, each with a stable code (the API's `code`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from marketplace.exceptions import DomainError, StateConflict, ValidationFailed
from marketplace.exceptions import TransitionRefused as TransitionNotAllowed  # noqa: F401


class ExternalIdConflict(StateConflict):
    code = "external_id_conflict"
    default_message = _("The external ID %(external_id)s was already used with different data.")


class RefundRefused(DomainError):
    code = "refund_refused"
    default_message = _("This refund cannot be made.")


class AmountInvalid(ValidationFailed):
    code = "amount_invalid"
    default_message = _("The amount must be greater than zero.")
