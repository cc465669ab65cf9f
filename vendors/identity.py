"""Identity fields as people type them (MS-8.3, MS-3.1.1, MS-3.1.3 ③; issue 9 §2).

Chinese input methods produce full-width digits and letters (`１００２００３００４００`, `ＡＢＣ`);
people paste spaces, hyphens and mixed case. One canonical form per field, applied before
validation, storage and every comparison (the MS-8.3 ban check above all):

- Unicode NFKC (full-width → ASCII), surrounding whitespace trimmed;
- credit code and cloud account ID: inner whitespace removed, credit code upper-case;
- mobile phone: inner whitespace and hyphens removed; QQ: inner whitespace removed;
- e-mail: lower-case (mail providers in China treat addresses case-insensitively).

`NormalisedCharField` applies it to model values on save and to every query value, so a
lookup with a full-width number finds the stored ASCII one. `IdentityFormField` applies it
to form input before its length check and validators.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django import forms
from django.db import models

_SPACES = re.compile(r"\s+")
_PHONE_SEPARATORS = re.compile(r"[\s\-]+")


def nfkc(value: Any) -> str:
    """NFKC-normalised text with surrounding whitespace trimmed ("" for None)."""
    return unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()


def normalise_credit_code(value: Any) -> str:
    # NFKC again after upper(): case mapping can leave a non-normalised sequence.
    return nfkc(_SPACES.sub("", nfkc(value)).upper())


def normalise_cloud_account(value: Any) -> str:
    # NFKC again after removing characters: neighbours may compose (idempotence).
    return nfkc(_SPACES.sub("", nfkc(value)))


def normalise_phone(value: Any) -> str:
    return nfkc(_PHONE_SEPARATORS.sub("", nfkc(value)))


def normalise_qq(value: Any) -> str:
    return nfkc(_SPACES.sub("", nfkc(value)))


def normalise_email(value: Any) -> str:
    return nfkc(nfkc(value).lower())


def normalise_banned_value(value: Any) -> str:
    """A ban's value (a credit code or a cloud account ID): both canonical forms agree."""
    return nfkc(_SPACES.sub("", nfkc(value)).upper())


NORMALISERS: dict[str, Callable[[Any], str]] = {
    "credit_code": normalise_credit_code,
    "cloud_account_id": normalise_cloud_account,
    "contact_phone": normalise_phone,
    "contact_qq": normalise_qq,
    "contact_email": normalise_email,
    "banned_value": normalise_banned_value,
}


def normalise_identity(field: str, value: Any) -> str:
    """The canonical form of identity field `field` (a key of NORMALISERS).

    Repeated to a fixed point: removing a space or changing case can let neighbours compose
    again under NFKC; the canonical form must be stable (a lookup normalises it again).
    """
    normalise = NORMALISERS[field]
    text = normalise(value)
    for _ in range(4):
        again = normalise(text)
        if again == text:
            break
        text = again
    return text


class NormalisedCharField(models.CharField):
    """A CharField whose values are stored and compared in their canonical form.

    Migrations see a plain CharField (the normalisation is behaviour, not schema).
    """

    def __init__(self, *args: Any, normaliser: str, **kwargs: Any) -> None:
        self.normaliser = normaliser
        super().__init__(*args, **kwargs)

    def _normalise(self, value: Any) -> Any:
        if value is None or not isinstance(value, str):
            return value
        return normalise_identity(self.normaliser, value)

    def to_python(self, value: Any) -> Any:
        return self._normalise(super().to_python(value))

    def get_prep_value(self, value: Any) -> Any:
        return self._normalise(super().get_prep_value(value))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = self._normalise(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def formfield(self, **kwargs: Any) -> Any:
        kwargs.setdefault("form_class", IdentityFormField)
        kwargs.setdefault("normaliser", self.normaliser)
        return super().formfield(**kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs

    def clone(self) -> NormalisedCharField:
        # deconstruct() hides the normaliser from migrations; copies (history) keep it.
        _name, _path, args, kwargs = super().deconstruct()
        return self.__class__(*args, normaliser=self.normaliser, **kwargs)


class IdentityFormField(forms.CharField):
    """A form's identity field: canonical form first, then length and validators."""

    def __init__(self, *, normaliser: str, **kwargs: Any) -> None:
        self.normaliser = normaliser
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return normalise_identity(self.normaliser, value) if value else value

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        if self.max_length is not None and not widget.is_hidden:
            # The browser counts what is typed (spaces, hyphens); the limit applies to the
            # canonical form on the server, so leave room for separators.
            attrs["maxlength"] = str(self.max_length * 2)
        return attrs
