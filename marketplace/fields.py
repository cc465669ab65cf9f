"""Small model-field variants shared by the apps."""

from __future__ import annotations

from django.db import models


class HttpsURLField(models.URLField):
    """A URL field whose forms read a bare `example.com/x` as https (Django 6's default).

    Migrations see a plain URLField: only the form behaviour differs.
    """

    def formfield(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        return super().formfield(**kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.URLField", args, kwargs
