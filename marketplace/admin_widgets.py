"""Admin autocomplete widgets survive a hand-typed value that is not an ID (issue 9 §4).

Django's `AutocompleteMixin.optgroups` re-renders a refused form by filtering the related
model with the submitted value as is: `product=1e20` raises `ValueError` inside template
rendering, a 500 instead of the form's own "select a valid choice" error. Values the related
key cannot hold are dropped before that query, for every admin (ours and third-party), so
the form shows its error. Installed once from `MarketplaceConfig.ready()`.
"""

from __future__ import annotations

from django.contrib.admin.widgets import AutocompleteMixin
from django.core.exceptions import ValidationError

_original_optgroups = AutocompleteMixin.optgroups


def _holdable(widget: AutocompleteMixin, value: object) -> bool:
    remote = widget.field.remote_field
    target = remote.model._meta.get_field(
        getattr(remote, "field_name", None) or remote.model._meta.pk.name
    )
    try:
        target.get_prep_value(target.to_python(value))
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    return True


def _safe_optgroups(self: AutocompleteMixin, name, value, attr=None):
    value = [v for v in value if v in ("", None) or _holdable(self, v)]
    return _original_optgroups(self, name, value, attr)


def install() -> None:
    AutocompleteMixin.optgroups = _safe_optgroups
