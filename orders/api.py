"""Integration API for the storefront and billing systems: one view per operation.

Views authenticate the service account, check its operation, scope every object to its
channel (another channel's IDs answer 404) and call a service; errors are
`{code, message, details?}` from marketplace.api's handler.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors, services
from orders.authentication import HasOperation, ServiceTokenAuthentication
from orders.models import ApiOperation
from orders.refdata import RefData
from orders.serializers import (
    DeliveryIn,
    ErrorSerializer,
    InvoiceCreateIn,
    InvoiceOut,
    OrderCreateIn,
    OrderOut,
    RefundCreateIn,
    RefundOut,
    ServiceConfirmationIn,
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
            caller=request.user,
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
        order = services.order_report_delivery(order=order, caller=request.user, **data)
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
            order=order, at=data["confirmed_at"], caller=request.user, time_field="confirmed_at"
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
            caller=request.user,
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
        invoice, created = services.invoice_request(order=order, caller=request.user, **data)
        return Response(InvoiceOut(invoice).data, status=created_or_ok(created))


class InvoiceDetailView(ServiceAPIView):
    required_operation = ApiOperation.READ_INVOICE

    @extend_schema(operation_id="invoices_retrieve", responses={200: InvoiceOut, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        invoice = selectors.invoice_for_caller(caller=request.user, pk=pk)
        return Response(InvoiceOut(invoice).data)
