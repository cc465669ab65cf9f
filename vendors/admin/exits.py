"""Admin of vendor exits (MS-8): the review of requests and proposals, and finance's progress
page (orders refunded n/m, statements and other outstanding checks, deposit)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from marketplace.exceptions import DomainError
from marketplace.history_admin import SimpleHistoryAdmin
from vendors.admin.common import NoDeleteMixin
from vendors.admin.display import CSS, china
from vendors.admin.transitions import AdminTransition, TransitionAdminMixin
from vendors.models import Vendor, VendorExit
from vendors.selectors import exit_progress_for
from vendors.services import (
    exit_advance,
    exit_approve,
    exit_reject,
    exit_set_after_sales,
    vendor_term_set,
)

S = VendorExit.Status


def _exit_service(fn):
    return lambda *, obj, actor, reason: fn(exit=obj, actor=actor, reason=reason)


def _may_approve(obj: VendorExit, user) -> bool:
    # MS-8.2: a reviewer decides a vendor's request; MS-8.1: a second compliance lead (not
    # the proposer: the service refuses them too) approves the platform's proposal.
    if obj.status == S.REQUESTED:
        return user.has_perm("vendors.review_vendorexit")
    if obj.status == S.PROPOSED:
        return user.has_perm("vendors.approve_vendorexit")
    return False


class ApproveTransition(AdminTransition):
    def permitted(self, obj, user) -> bool:
        return _may_approve(obj, user)


class AfterSalesForm(forms.Form):
    after_sales_duty = forms.CharField(
        label=_("After-sales duty to buyers (MS-8.4.3)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Recorded in the history, with your name."),
    )


@admin.register(VendorExit)
class VendorExitAdmin(TransitionAdminMixin, NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["vendor", "cause", "status", "requested", "requested_by", "orders_to_refund"]
    list_filter = ["status", "cause"]
    search_fields = ["vendor__name"]
    list_select_related = ["vendor", "requested_by"]
    fields = [
        "vendor",
        "cause",
        "status",
        "reason",
        "requested_by",
        "requested",
        "decided_by",
        "decided",
        "decision_reason",
        "started",
        "closed",
        "progress",
        "after_sales_duty",
    ]
    readonly_fields = fields

    class Media:
        css = CSS

    admin_transitions = [
        ApproveTransition(
            "approve",
            _("Approve and start the exit"),
            _exit_service(exit_approve),
            danger=True,
            help_text=_(
                "Every order whose service is unfinished or not started is refunded in full "
                "at once (MS-8.4.1); the vendor sells nothing new (MS-8.4.2)."
            ),
        ),
        AdminTransition(
            "reject",
            _("Reject"),
            _exit_service(exit_reject),
            permission="vendors.review_vendorexit",
            allowed=lambda obj: obj.status in VendorExit.PENDING,
        ),
        AdminTransition(
            "advance",
            _("Check progress"),
            _exit_service(exit_advance),
            permission="vendors.advance_vendorexit",
            allowed=lambda obj: obj.status in VendorExit.IN_PROGRESS,
            reason_required=False,
            help_text=_(
                "Moves the exit on when orders are refunded, nothing is outstanding, or the "
                "deposit was refunded (MS-3.1.5 ④)."
            ),
        ),
    ]

    def has_add_permission(self, request) -> bool:
        return False  # requests come from the vendor pages, proposals from the vendor page

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # every change is a button with a reason page

    def transition_buttons(self, request, obj):
        buttons = list(super().transition_buttons(request, obj))
        if obj.status in VendorExit.BEGUN and request.user.has_perm("vendors.advance_vendorexit"):
            buttons.append(
                {
                    "name": "after-sales",
                    "label": _("Record after-sales duty"),
                    "danger": False,
                    "disabled": "",
                    "url": reverse("admin:vendors_vendorexit_after_sales", args=[obj.pk]),
                }
            )
        return buttons

    def get_urls(self):
        return [
            path(
                "<path:object_id>/after-sales/",
                self.admin_site.admin_view(self.after_sales_view),
                name="vendors_vendorexit_after_sales",
            ),
            *super().get_urls(),
        ]

    def after_sales_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not (
            obj.status in VendorExit.BEGUN and request.user.has_perm("vendors.advance_vendorexit")
        ):
            raise PermissionDenied
        form = AfterSalesForm(
            request.POST if request.method == "POST" else None,
            initial={"after_sales_duty": obj.after_sales_duty},
        )
        if request.method == "POST" and form.is_valid():
            try:
                exit_set_after_sales(
                    exit=obj,
                    text=form.cleaned_data["after_sales_duty"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("After-sales duty recorded."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:vendors_vendorexit_change", args=[obj.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("After-sales duty: %(exit)s") % {"exit": obj},
            "intro": _("MS-8.4.3: shown to the vendor and on its orders."),
            "submit_label": _("Save"),
        }
        return TemplateResponse(request, "admin/vendors/form_page.html", context)

    @admin.display(description=_("requested at (China time)"), ordering="requested_at")
    def requested(self, obj: VendorExit) -> str:
        return china(obj.requested_at)

    @admin.display(description=_("decided at (China time)"))
    def decided(self, obj: VendorExit) -> str:
        return china(obj.decided_at) if obj.decided_at else "-"

    @admin.display(description=_("started at (China time)"))
    def started(self, obj: VendorExit) -> str:
        return china(obj.started_at) if obj.started_at else "-"

    @admin.display(description=_("closed at (China time)"))
    def closed(self, obj: VendorExit) -> str:
        return china(obj.closed_at) if obj.closed_at else "-"

    @admin.display(description=_("progress"))
    def progress(self, obj: VendorExit):
        if obj.pk is None or not obj.begun:
            return "-"
        progress = exit_progress_for(obj)
        steps = format_html_join(
            " → ",
            '<span class="{}">{}</span>',
            (
                ("step-done" if s.done else "step-current" if s.current else "step", s.label)
                for s in progress.steps
            ),
        )
        lines = format_html_join(
            "",
            "<li>{}: {}{}</li>",
            (
                (
                    line.label,
                    format_html('<a href="{}">{}</a>', line.url, line.value)
                    if line.url
                    else line.value,
                    " ✓" if line.done else "",
                )
                for line in progress.lines
            ),
        )
        outstanding = (
            format_html(
                "<p>{}</p><ul>{}</ul>",
                _("Outstanding before the deposit refund (MS-3.1.5 ④):"),
                format_html_join("", "<li>{}</li>", ((r,) for r in progress.outstanding)),
            )
            if progress.outstanding
            else format_html("<p>{}</p>", _("Nothing outstanding."))
            if obj.status in VendorExit.IN_PROGRESS
            else ""
        )
        return format_html(
            '<div class="exit-progress"><p>{}</p><ul>{}<li>{}: {}</li></ul>{}</div>',
            steps,
            lines,
            _("Deposit (MS-3.1.5 ④)"),
            progress.deposit_text,
            outstanding,
        )


# --- on the vendor: the term (MS-8.1) and the platform's early end ------------------------


class TermForm(forms.Form):
    term_start = forms.DateField(label=_("Agreement term starts"), required=False)
    term_end = forms.DateField(
        label=_("Agreement term ends"),
        required=False,
        help_text=_("Last day of the term (China time). Renewing moves it later."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Recorded in the history, with your name."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("term_start"), data.get("term_end")
        if start and end and end < start:
            raise forms.ValidationError(_("The term cannot end before it starts."))
        return data


def term_view(model_admin: admin.ModelAdmin, request, object_id: str):
    vendor = model_admin.get_object(request, unquote(object_id))
    if vendor is None:
        raise Http404
    if not request.user.has_perm("vendors.change_vendor_term"):
        raise PermissionDenied
    form = TermForm(
        request.POST if request.method == "POST" else None,
        initial={"term_start": vendor.term_start, "term_end": vendor.term_end},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            vendor_term_set(
                vendor=vendor,
                start=data["term_start"],
                end=data["term_end"],
                actor=request.user,
                reason=data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            model_admin.message_user(request, _("Agreement term recorded."), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:vendors_vendor_change", args=[vendor.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Vendor._meta,
        "form": form,
        "title": _("Agreement term: %(vendor)s") % {"vendor": vendor},
        "intro": _(
            "MS-8.1: when the term has ended without renewal, the compliance sweep starts the "
            "vendor's exit."
        ),
        "submit_label": _("Save"),
    }
    return TemplateResponse(request, "admin/vendors/form_page.html", context)
