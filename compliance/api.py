"""Integration API of compliance: the storefront reports buyers' service complaints
(MS-4.3, MS-4.4). Same conventions as `orders.api`: service token, one operation, channel
scoping (another channel's order answers 404), errors as `{code, message, details?}`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from compliance.models import ComplaintKind, ServiceComplaint
from compliance.services.complaints import complaint_record
from orders import selectors
from orders.api import ERRORS, ServiceAPIView, created_or_ok
from orders.models import ApiOperation
from orders.serializers import AwareDateTimeField, text_max_length


class ComplaintCreateIn(serializers.Serializer):
    order_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    external_id = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(choices=ComplaintKind.choices)
    occurred_at = AwareDateTimeField()
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=text_max_length()
    )


class ComplaintOut(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="vendor_id")
    order = serializers.IntegerField(source="order_id")
    case_opened = serializers.SerializerMethodField()

    class Meta:
        model = ServiceComplaint
        fields = [
            "id",
            "external_id",
            "vendor",
            "order",
            "kind",
            "occurred_at",
            "description",
            "received_at",
            "case_opened",
        ]

    def get_case_opened(self, obj: ServiceComplaint) -> bool:
        """True when the complaint is counted in an "unreachable" case for review."""
        return obj.case_id is not None


class ComplaintCreateView(ServiceAPIView):
    required_operation = ApiOperation.REPORT_COMPLAINT

    @extend_schema(
        operation_id="complaints_create",
        summary="Report a buyer's complaint about a vendor's service (idempotent on external_id)",
        description=(
            "MS-4.3 / MS-4.4: `unreachable` (QQ offline or phone unanswered 09:00-18:00) or "
            "`no_alternative` (product unusable, no alternative, backup or migration offered). "
            "Past the threshold in the window an UNREACHABLE penalty case is reported for a "
            "reviewer to confirm. A retried report returns the first with 200."
        ),
        request=ComplaintCreateIn,
        responses={201: ComplaintOut, 200: ComplaintOut, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = self.valid(ComplaintCreateIn, request)
        order = selectors.order_for_caller(caller=request.user, pk=data.pop("order_id"))
        complaint, created = complaint_record(order=order, actor=request.user, **data)
        return Response(ComplaintOut(complaint).data, status=created_or_ok(created))
