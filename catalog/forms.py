"""Forms of the vendor pages; the services check everything again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import (
    ZERO_PRICE_MESSAGE,
    ProductKind,
    QualificationRequirement,
    SalesMode,
    Specification,
    zero_price_refused,
)
from marketplace.money import AmountFormField
from vendors.models import Category


class ProductCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ProductKind.choices)
    category = forms.ModelChoiceField(label=_("category"), queryset=Category.objects.all())
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)
    tags = forms.CharField(label=_("tags"), max_length=300, required=False)
    deployment = forms.CharField(
        label=_("where it is deployed"),
        max_length=200,
        help_text=_("MS-3.1.6: must run on this cloud's resources"),
    )
    saas_delivered = forms.BooleanField(label=_("delivered as SaaS"), required=False)
    sales_mode = forms.ChoiceField(label=_("sales mode"), choices=SalesMode.choices)
    spec_name = forms.CharField(label=_("specification name"), max_length=100)
    spec_price = AmountFormField(label=_("price (CNY)"), min_value=Decimal("0"))
    spec_billing_period = forms.ChoiceField(
        label=_("billing period"), choices=Specification.BillingPeriod.choices
    )
    spec_is_trial = forms.BooleanField(label=_("trial specification"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if zero_price_refused(  # MS-4.1.5
            kind=data.get("kind", ""),
            price=data.get("spec_price"),
            is_trial=bool(data.get("spec_is_trial")),
        ):
            self.add_error("spec_price", ZERO_PRICE_MESSAGE)
        return data


class RevisionForm(forms.Form):
    """MS-6.1.2: the new content of a listed product, reviewed before it is published."""

    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)
    tags = forms.CharField(label=_("tags"), max_length=300, required=False)
    deployment = forms.CharField(
        label=_("where it is deployed"),
        max_length=200,
        help_text=_("MS-3.1.6: must run on this cloud's resources"),
    )


class SpecificationForm(forms.Form):
    name = forms.CharField(label=_("specification name"), max_length=100)
    price = AmountFormField(label=_("price (CNY)"), min_value=Decimal("0"))
    billing_period = forms.ChoiceField(
        label=_("billing period"), choices=Specification.BillingPeriod.choices
    )
    is_trial = forms.BooleanField(label=_("trial specification"), required=False)

    def __init__(self, *args: Any, kind: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if zero_price_refused(  # MS-4.1.5
            kind=self.kind, price=data.get("price"), is_trial=bool(data.get("is_trial"))
        ):
            self.add_error("price", ZERO_PRICE_MESSAGE)
        return data


SpecificationFormSet = forms.formset_factory(
    SpecificationForm, extra=1, can_delete=True, min_num=1, validate_min=True
)


class ProductDraftForm(forms.Form):
    """A draft's content, edited before submission (issue 13 "Drafts")."""

    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)
    tags = forms.CharField(label=_("tags"), max_length=300, required=False)
    deployment = forms.CharField(
        label=_("where it is deployed"),
        max_length=200,
        help_text=_("MS-3.1.6: must run on this cloud's resources"),
    )


class QualificationForm(forms.Form):
    """MS-4.1.2: one document for one qualification the product's category requires."""

    requirement = forms.ModelChoiceField(
        label=_("qualification"), queryset=QualificationRequirement.objects.none()
    )
    file = forms.FileField(label=_("document"), help_text=_("PDF, JPG or PNG"))
    number = forms.CharField(label=_("certificate number"), max_length=100, required=False)
    expires_on = forms.DateField(
        label=_("expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty when valid indefinitely."),
    )

    def __init__(self, *args: Any, product: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if product is not None:
            self.fields["requirement"].queryset = QualificationRequirement.objects.filter(
                category_id=product.category_id, active=True
            ).order_by("name")
            # All of the product's own category: its name alone reads better than "类目: 名称".
            self.fields["requirement"].label_from_instance = lambda r: r.name
