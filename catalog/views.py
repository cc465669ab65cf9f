"""Vendor pages of the catalogue. Every query goes through `products_for_vendor` (isolation)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.forms import (
    ProductCreateForm,
    ProductDraftForm,
    QualificationForm,
    RevisionForm,
    SpecificationForm,
    SpecificationFormSet,
)
from catalog.models import Product, ProductRevision
from catalog.selectors import open_revision, products_for_vendor
from catalog.services import (
    SpecInput,
    product_create,
    product_draft_update,
    product_relist_submit,
    product_submit,
    qualification_upload,
    revision_create,
    revision_submit,
    specification_add,
)
from catalog.services.duties import (
    DRAFT_EDITABLE,
    current_qualifications,
    required_qualifications,
)
from marketplace.exceptions import DomainError
from marketplace.timeutils import china_date
from vendors.selectors import vendor_for_user


def _layout(request: HttpRequest) -> dict:
    """What vendor/base.html shows in its top bar."""
    return {"vendor": vendor_for_user(user=request.user)}


def _own_product(request: HttpRequest, pk: int) -> Product:
    """Another vendor's product is simply not found (404), never forbidden."""
    return get_object_or_404(products_for_vendor(user=request.user), pk=pk)


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    products = products_for_vendor(user=request.user).order_by("-pk")
    page = Paginator(products, 50).get_page(request.GET.get("page"))
    return render(request, "catalog/product_list.html", {"page": page, **_layout(request)})


@login_required
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _own_product(request, pk))


def _detail(
    request: HttpRequest,
    product: Product,
    *,
    qualification_form: QualificationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = china_date(timezone.now())
    held = current_qualifications(product)
    qualifications = []
    for requirement in required_qualifications(product):  # MS-4.1.2
        qualification = held.get(requirement.pk)
        state = "missing"
        if qualification is not None and qualification.document:
            expired = qualification.expires_on is not None and qualification.expires_on < today
            state = "expired" if expired else "ok"
        qualifications.append(
            {"requirement": requirement, "qualification": qualification, "state": state}
        )
    editable = product.status in DRAFT_EDITABLE
    context = {
        "product": product,
        "specifications": product.specifications.order_by("-active", "pk"),
        "revision": open_revision(product=product),
        "reviews": product.reviews.select_related("revision").order_by("-started_at")[:10],
        "can_submit": product.status in (Product.Status.DRAFT, Product.Status.REJECTED),
        "can_relist": product.status == Product.Status.DELISTED,
        "can_edit": editable,
        "qualifications": qualifications,
        "qualifications_missing": any(q["state"] != "ok" for q in qualifications),
        "qualification_form": (
            qualification_form or QualificationForm(product=product)
            if qualifications
            and product.status not in (Product.Status.SUBMITTED, Product.Status.IN_REVIEW)
            else None
        ),
        "vendor": product.vendor,
    }
    return render(request, "catalog/product_detail.html", context, status=status)


@login_required
def product_new(request: HttpRequest) -> HttpResponse:
    vendor = vendor_for_user(user=request.user)
    form = ProductCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            product = product_create(
                vendor=vendor,
                actor=request.user,
                kind=data["kind"],
                category=data["category"],
                title=data["title"],
                description=data["description"],
                tags=data["tags"],
                deployment=data["deployment"],
                saas_delivered=data["saas_delivered"],
                sales_mode=data["sales_mode"],
                specifications=[
                    SpecInput(
                        name=data["spec_name"],
                        price=data["spec_price"],
                        billing_period=data["spec_billing_period"],
                        is_trial=data["spec_is_trial"],
                    )
                ],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Draft saved. Submit it for security review when ready."))
            return redirect("vendor:product_detail", pk=product.pk)
    return render(request, "catalog/product_form.html", {"form": form, "vendor": vendor})


@login_required
@require_POST
def product_send_to_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit a draft or rejected product, or relist a delisted one (MS-4.1.1)."""
    product = _own_product(request, pk)
    service = product_relist_submit if product.status == Product.Status.DELISTED else product_submit
    try:
        service(product=product, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Submitted for security review."))
    return redirect("vendor:product_detail", pk=product.pk)


@login_required
def product_update(request: HttpRequest, pk: int) -> HttpResponse:
    """MS-6.1.2: propose new content for a listed product; it goes to security review and
    the listed content stays on sale until then."""
    product = _own_product(request, pk)
    if product.status != Product.Status.LISTED or open_revision(product=product):
        messages.error(
            request, _("Only a listed product without an update in progress can be updated.")
        )
        return redirect("vendor:product_detail", pk=product.pk)
    initial_specs = [
        {
            "name": s.name,
            "price": s.price,
            "billing_period": s.billing_period,
            "is_trial": s.is_trial,
        }
        for s in product.specifications.filter(active=True)
    ]
    form = RevisionForm(
        request.POST or None,
        initial={
            "title": product.title,
            "description": product.description,
            "tags": product.tags,
            "deployment": product.deployment,
        },
    )
    formset = SpecificationFormSet(
        request.POST or None,
        initial=initial_specs,
        prefix="specs",
        form_kwargs={"kind": product.kind},
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        specs = [
            SpecInput(
                name=f.cleaned_data["name"],
                price=f.cleaned_data["price"],
                billing_period=f.cleaned_data["billing_period"],
                is_trial=f.cleaned_data["is_trial"],
            )
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            revision = revision_create(
                product=product, actor=request.user, specifications=specs, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            _submit_revision(request, revision)
            return redirect("vendor:product_detail", pk=product.pk)
    return render(
        request,
        "catalog/revision_form.html",
        {"product": product, "form": form, "formset": formset, "vendor": product.vendor},
    )


def _submit_revision(request: HttpRequest, revision: ProductRevision) -> None:
    try:
        revision_submit(revision=revision, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Update submitted for security review."))


@login_required
@require_POST
def revision_send_to_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit a draft update left behind (e.g. when publishing was restricted)."""
    product = _own_product(request, pk)
    revision = open_revision(product=product)
    if revision is None or revision.status != ProductRevision.Status.DRAFT:
        messages.error(request, _("There is no draft update to submit."))
    else:
        _submit_revision(request, revision)
    return redirect("vendor:product_detail", pk=product.pk)


# --- issue 13: drafts and qualifications (MS-4.1.2) ------------------------------------------


def _draft_page(
    request: HttpRequest,
    product: Product,
    *,
    form: ProductDraftForm | None = None,
    spec_form: SpecificationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    form = form or ProductDraftForm(
        initial={
            "title": product.title,
            "description": product.description,
            "tags": product.tags,
            "deployment": product.deployment,
        }
    )
    context = {
        "product": product,
        "form": form,
        "spec_form": spec_form or SpecificationForm(kind=product.kind, prefix="spec"),
        "specifications": product.specifications.order_by("-active", "pk"),
        "vendor": product.vendor,
    }
    return render(request, "catalog/product_edit.html", context, status=status)


@login_required
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft (or rejected) product: edit its content and add specifications before
    submitting it for security review (MS-4.1.1)."""
    product = _own_product(request, pk)
    if product.status not in DRAFT_EDITABLE:
        messages.error(request, _("Only a draft or rejected product can be edited here."))
        return redirect("vendor:product_detail", pk=product.pk)
    if request.method != "POST":
        return _draft_page(request, product)
    form = ProductDraftForm(request.POST)
    if not form.is_valid():
        return _draft_page(request, product, form=form, status=400)
    try:
        product_draft_update(product=product, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _draft_page(request, product, form=form, status=400)
    messages.success(request, _("Draft saved."))
    return redirect("vendor:product_edit", pk=product.pk)


@login_required
@require_POST
def product_spec_add(request: HttpRequest, pk: int) -> HttpResponse:
    product = _own_product(request, pk)
    spec_form = SpecificationForm(request.POST, kind=product.kind, prefix="spec")
    if not spec_form.is_valid():
        return _draft_page(request, product, spec_form=spec_form, status=400)
    data = spec_form.cleaned_data
    try:
        specification_add(
            product=product,
            actor=request.user,
            spec=SpecInput(
                name=data["name"],
                price=data["price"],
                billing_period=data["billing_period"],
                is_trial=data["is_trial"],
            ),
        )
    except DomainError as exc:
        spec_form.add_error(None, str(exc))
        return _draft_page(request, product, spec_form=spec_form, status=400)
    messages.success(request, _("Specification added."))
    return redirect("vendor:product_edit", pk=product.pk)


@login_required
@require_POST
def product_qualification_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """MS-4.1.2: upload the document of a qualification the product's category requires."""
    product = _own_product(request, pk)
    # The detail page offers no upload form in these cases: say why instead of a bare 400.
    if not required_qualifications(product):
        messages.error(request, _("This product's category requires no qualification documents."))
        return redirect("vendor:product_detail", pk=product.pk)
    if product.status in (Product.Status.SUBMITTED, Product.Status.IN_REVIEW):
        messages.error(
            request, _("Qualifications cannot change while the product is in security review.")
        )
        return redirect("vendor:product_detail", pk=product.pk)
    form = QualificationForm(request.POST, request.FILES, product=product)
    if form.is_valid():
        try:
            qualification_upload(product=product, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            for item in getattr(exc, "items", None) or [str(exc)]:
                form.add_error(None, item)
        else:
            messages.success(request, _("Qualification uploaded."))
            return redirect("vendor:product_detail", pk=product.pk)
    return _detail(request, product, qualification_form=form, status=400)
