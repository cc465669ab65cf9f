"""Integration API for the storefront and billing systems: one view per operation.

Views authenticate the service account, check its operation, scope every object to its
channel (another channel's IDs answer 404) and call a service; errors are
`{code, message, details?}` from marketplace.api's handler.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.exceptions import PermissionDenied, ValidationFailed
from marketplace.outbox import events_page
from orders import selectors, services
from orders.authentication import HasOperation, ServiceTokenAuthentication
from orders.models import ApiOperation, ServiceAccount
from orders.refdata import RefData
from orders.serializers import (
    DeliveryIn,
    ErrorSerializer,
    EventPageOut,
    EventsQuery,
    InvoiceCreateIn,
    InvoiceOut,
    OrderCreateIn,
    OrderOut,
    RefundCreateIn,
    RefundOut,
    RefundPaymentIn,
    RefundPaymentOut,
    ServiceConfirmationIn,
    event_out,
    order_out,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input"),
    401: OpenApiResponse(ErrorSerializer, description="No or bad token"),
    403: OpenApiResponse(ErrorSerializer, description="Operation not allowed for this token"),
    404: OpenApiResponse(ErrorSerializer, description="Not found for this caller"),
    409: OpenApiResponse(ErrorSerializer, description="State conflict"),
}


class ServiceAPIView(APIView):
    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [HasOperation]
    required_operation: str = ""

    def valid(self, serializer_class: type, request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def created_or_ok(created: bool) -> int:
    # A retried POST returns what the first one created, with 200 instead of 201.
    return status.HTTP_201_CREATED if created else status.HTTP_200_OK


class OrderCreateView(ServiceAPIView):
    required_operation = ApiOperation.CREATE_ORDER

    @extend_schema(
        operation_id="orders_create",
        summary="Record a paid order (idempotent on external_id)",
        request=OrderCreateIn,
        responses={201: OrderOut, 200: OrderOut, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = self.valid(OrderCreateIn, request)
        order, created = services.order_create(
            channel=request.user.channel,
            actor=request.user,
            # The reference data the authentication checked (one stamp read per request).
            refdata=request.auth if isinstance(request.auth, RefData) else None,
            **data,
        )
        return Response(order_out(order), status=created_or_ok(created))


class OrderDeliveryView(ServiceAPIView):
    required_operation = ApiOperation.REPORT_DELIVERY

    @extend_schema(
        operation_id="orders_delivery",
        summary="Report delivery: started, delivered, failed (with a reason) or repaired",
        request=DeliveryIn,
        responses={200: OrderOut, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        order = selectors.order_for_caller(caller=request.user, pk=pk)
        data = self.valid(DeliveryIn, request)
        order = services.order_report_delivery(order=order, actor=request.user, **data)
        return Response(OrderOut(order).data)


class OrderServiceConfirmationView(ServiceAPIView):
    required_operation = ApiOperation.CONFIRM_SERVICE

    @extend_schema(
        operation_id="orders_service_confirmation",
        summary="The buyer confirmed an ops or manual service complete (ends its review period)",
        request=ServiceConfirmationIn,
        responses={200: OrderOut, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        order = selectors.order_for_caller(caller=request.user, pk=pk)
        data = self.valid(ServiceConfirmationIn, request)
        order = services.order_confirm_service(
            order=order, at=data["confirmed_at"], actor=request.user, time_field="confirmed_at"
        )
        return Response(OrderOut(order).data)


class RefundCreateView(ServiceAPIView):
    required_operation = ApiOperation.CREATE_REFUND

    @extend_schema(
        operation_id="refunds_create",
        summary="Request a refund (idempotent on the order and external_id)",
        request=RefundCreateIn,
        responses={201: RefundOut, 200: RefundOut, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = self.valid(RefundCreateIn, request)
        order = selectors.order_for_caller(caller=request.user, pk=data.pop("order_id"))
        refund, created = services.refund_request(
            order=order,
            amount_requested=data.pop("amount"),
            actor=request.user,
            **data,
        )
        return Response(RefundOut(refund).data, status=created_or_ok(created))


class RefundDetailView(ServiceAPIView):
    required_operation = ApiOperation.READ_REFUND

    @extend_schema(operation_id="refunds_retrieve", responses={200: RefundOut, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        refund = selectors.refund_for_caller(caller=request.user, pk=pk)
        return Response(RefundOut(refund).data)


class InvoiceCreateView(ServiceAPIView):
    required_operation = ApiOperation.CREATE_INVOICE

    @extend_schema(
        operation_id="invoices_create",
        summary="Request an invoice; the issuer follows the order's sales mode (MS-4.5)",
        request=InvoiceCreateIn,
        responses={201: InvoiceOut, 200: InvoiceOut, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = self.valid(InvoiceCreateIn, request)
        order = selectors.order_for_caller(caller=request.user, pk=data.pop("order_id"))
        invoice, created = services.invoice_request(order=order, actor=request.user, **data)
        return Response(InvoiceOut(invoice).data, status=created_or_ok(created))


class InvoiceDetailView(ServiceAPIView):
    required_operation = ApiOperation.READ_INVOICE

    @extend_schema(operation_id="invoices_retrieve", responses={200: InvoiceOut, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        invoice = selectors.invoice_for_caller(caller=request.user, pk=pk)
        return Response(InvoiceOut(invoice).data)


# --- issue 14: refunds paid back, and the event feed -----------------------------------------

PAYMENT_EXAMPLES = [
    OpenApiExample(
        "Payment reported",
        request_only=True,
        value={"paid_at": "2026-07-03T15:20:00+08:00", "reference": "PAY-20260703-0042"},
    ),
    OpenApiExample(
        "Refund paid (first report and every retry with the same reference)",
        response_only=True,
        status_codes=["200"],
        value={
            "id": 812,
            "order": 5120,
            "external_id": "R-88123",
            "reason": "not_received",
            "counts_against_vendor": True,
            "amount_requested": "100.00",
            "description": "",
            "evidence": [],
            "requested_at": "2026-07-02T10:00:00+08:00",
            "status": "refunded",
            "basis": "review_period",
            "computed_amount": "100.00",
            "approved_amount": "100.00",
            "paid_amount": "100.00",
            "already_refunded": "0.00",
            "in_review_period": True,
            "consumed_fraction": "0.0000",
            "compensation": "0.00",
            "platform_ground": "",
            "full_refund_case": "",
            "vendor_terms_percent": None,
            "decision_reason": "",
            "refunded_at": "2026-07-03T15:20:00+08:00",
            "payment_reference": "PAY-20260703-0042",
            "order_status": "refunded",
        },
    ),
    OpenApiExample(
        "Already paid under another reference",
        response_only=True,
        status_codes=["409"],
        value={
            "code": "payment_reference_conflict",
            "message": "This refund was already paid under another reference (PAY-1).",
        },
    ),
    OpenApiExample(
        "Not payable yet",
        response_only=True,
        status_codes=["409"],
        value={
            "code": "transition_not_allowed",
            "message": "This action is not allowed while it is Requested.",
        },
    ),
    OpenApiExample(
        "Bad input",
        response_only=True,
        status_codes=["400"],
        value={
            "code": "invalid",
            "message": "Give the time zone offset (e.g. 2026-07-01T10:00:00+08:00).",
            "details": {"paid_at": ["Give the time zone offset (e.g. 2026-07-01T10:00:00+08:00)."]},
        },
    ),
]


class RefundPaymentView(ServiceAPIView):
    required_operation = ApiOperation.REPORT_REFUND_PAYMENT

    @extend_schema(
        operation_id="refunds_payment",
        summary="Billing paid a refund back (idempotent on the reference)",
        description=(
            "The refund becomes refunded, the order ends when fully refunded, the invoices "
            "follow MS-5.5 and a settled share is clawed back (MS-5.6), as when finance "
            "marks it paid. The same reference again answers 200 with the same refund and "
            "writes nothing; another reference for a paid refund, or a refund finance "
            "already marked paid, is 409."
        ),
        request=RefundPaymentIn,
        responses={200: RefundPaymentOut, **ERRORS},
        examples=PAYMENT_EXAMPLES,
    )
    def post(self, request: Request, pk: int) -> Response:
        refund = selectors.refund_for_caller(caller=request.user, pk=pk)
        data = self.valid(RefundPaymentIn, request)
        refund, _recorded = services.refund_record_payment(
            refund=refund, paid_at=data["paid_at"], reference=data["reference"], actor=request.user
        )
        return Response(RefundPaymentOut(refund).data)


class ReadsAnEventFeed(permissions.BasePermission):
    """Issue 14: a token is allowed the storefront's feed, the billing system's, or none."""

    message = _("This token is not allowed to read an event feed.")

    def has_permission(self, request: Request, view: Any) -> bool:
        account = request.user
        return isinstance(account, ServiceAccount) and bool(account.event_feeds())


EVENTS_EXAMPLE = OpenApiExample(
    "A page of the billing feed",
    response_only=True,
    status_codes=["200"],
    value={
        "events": [
            {
                "cursor": 1041,
                "event_id": "0b6f3c52-93a8-4d5e-9d77-5a1f0e7c2a10",
                "kind": "refund.approved",
                "subject": {"type": "orders.refund", "id": "812"},
                "payload": {
                    "refund_id": 812,
                    "order_id": 5120,
                    "external_id": "R-88123",
                    "amount": "100.00",
                    "currency": "CNY",
                    "approved_by": "platform",
                    "basis": "review_period",
                },
                "created_at": "2026-07-02T11:30:00+08:00",
            },
            {
                "cursor": 1042,
                "event_id": "5d0f9f8e-0e7b-4f51-8f5c-2c4a9b1de3f7",
                "kind": "vendor.exited",
                "subject": {"type": "vendors.vendor", "id": "37"},
                "payload": {"vendor_id": 37},
                "created_at": "2026-07-02T11:31:00+08:00",
            },
        ],
        "next_cursor": 1042,
        "has_more": False,
    },
)


class EventListView(APIView):
    """The outbox's feed (marketplace.outbox): each event once per feed, in commit order."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes = [ReadsAnEventFeed]
    # For the permission crawl: a token with either feed's operation may call it.
    allowed_by_any_of = (ApiOperation.READ_STOREFRONT_EVENTS, ApiOperation.READ_BILLING_EVENTS)

    @extend_schema(
        operation_id="events_list",
        summary="Events to act on, after a cursor (refunds, exits, delistings, suspensions)",
        description=(
            "Poll with `after` = the last page's `next_cursor` (0 at first). Every event is "
            "served once per feed, in the order its change committed; an event never appears "
            "behind a cursor already passed. Events of orders and refunds are those of the "
            "token's sales channel; product, store and vendor events are platform-wide. "
            "`event_id` is the same in both feeds; use it to drop a duplicate on retries."
        ),
        parameters=[EventsQuery],
        responses={200: EventPageOut, **ERRORS},
        examples=[
            EVENTS_EXAMPLE,
            OpenApiExample(
                "Bad cursor",
                response_only=True,
                status_codes=["400"],
                value={
                    "code": "invalid",
                    "message": "A valid integer is required.",
                    "details": {"after": ["A valid integer is required."]},
                },
            ),
            OpenApiExample(
                "Token without a feed",
                response_only=True,
                status_codes=["403"],
                value={
                    "code": "permission_denied",
                    "message": "This token is not allowed to read an event feed.",
                },
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        query = EventsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        feeds = request.user.event_feeds()
        channel = data.get("channel") or (feeds[0] if len(feeds) == 1 else "")
        if not channel:
            raise ValidationFailed(
                _("This token reads both feeds: say which one (channel)."),
                code="channel_required",
                field="channel",
            )
        if channel not in feeds:
            raise PermissionDenied(
                _("This token is not allowed the %(channel)s feed."),
                code="feed_not_allowed",
                channel=channel,
            )
        events = events_page(
            channel=channel,
            sales_channel=request.user.channel,
            after=data["after"],
            limit=data["limit"] + 1,
        )
        page = events[: data["limit"]]
        return Response(
            {
                "events": [event_out(e) for e in page],
                "next_cursor": page[-1].position if page else data["after"],
                "has_more": len(events) > len(page),
            }
        )
