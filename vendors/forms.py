"""Forms of the vendor pages: they parse input; the services validate and write."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from vendors.identity import IdentityFormField
from vendors.models import Category, DocumentKind


class ModelMultipleIdsField(forms.ModelMultipleChoiceField):
    """Refuses IDs past 64 bits as invalid choices: Django's `pk__in` check would send them to
    the database, where SQLite fails to bind them (a 500 instead of a form error)."""

    def _check_values(self, value):
        for pk in value or ():
            digits = str(pk).strip().lstrip("-")
            if digits.isascii() and digits.isdigit() and int(digits) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class ApplicationForm(forms.Form):
    """The applicant's part of the checklist (MS-3.1.3 ③, MS-3.1.4, MS-3.1.6)."""

    contact_name = forms.CharField(label=_("contact name"), max_length=100, required=False)
    # MS-3.1.3 ③: canonical form (vendors.identity) before the length check.
    contact_phone = IdentityFormField(
        normaliser="contact_phone", label=_("contact mobile phone"), max_length=20, required=False
    )
    contact_qq = IdentityFormField(
        normaliser="contact_qq", label=_("contact QQ number"), max_length=12, required=False
    )
    contact_email = IdentityFormField(
        normaliser="contact_email", label=_("contact e-mail"), max_length=254, required=False
    )
    categories = ModelMultipleIdsField(
        label=_("categories sold in"),
        queryset=Category.objects.order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    declares_this_cloud_only = forms.BooleanField(
        label=_(
            "Our products run on this cloud's resources, or are companion tools closely tied "
            "to its products (MS-3.1.6)."
        ),
        required=False,
    )
    accept_agreement = forms.BooleanField(
        label=_("We accept the vendor access agreement (MS-3.1.4)."), required=False
    )


class DocumentForm(forms.Form):
    """One document (MS-3.1.3); type, content and size are checked by the service."""

    kind = forms.ChoiceField(label=_("kind"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("file"), help_text=_("PDF, JPG or PNG"))
    valid_from = forms.DateField(
        label=_("valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty when valid indefinitely."),
    )


class ExitRequestForm(forms.Form):
    """MS-8.2: the vendor asks to leave, saying why."""

    reason = forms.CharField(
        label=_("Why do you want to leave?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Recorded with your name; the platform reviewer reads it."),
    )


class StaffSettingsForm(forms.Form):
    """Issue 13: the staff member's own preferences."""

    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=settings.LANGUAGES,
        help_text=_(
            "Your pages use it; the company owner's choice is also the language of the "
            "platform's notices and e-mails."
        ),
    )
