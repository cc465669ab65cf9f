"""Integration API routes of this app (mounted under /api/v1/)."""

from django.urls import path

from orders import api

urlpatterns = [
    path("orders/", api.OrderCreateView.as_view(), name="api-orders-create"),
    path("orders/<int:pk>/delivery/", api.OrderDeliveryView.as_view(), name="api-orders-delivery"),
    path(
        "orders/<int:pk>/service-confirmation/",
        api.OrderServiceConfirmationView.as_view(),
        name="api-orders-service-confirmation",
    ),
    path("refunds/", api.RefundCreateView.as_view(), name="api-refunds-create"),
    path("refunds/<int:pk>/", api.RefundDetailView.as_view(), name="api-refunds-detail"),
    path("refunds/<int:pk>/payment/", api.RefundPaymentView.as_view(), name="api-refunds-payment"),
    path("events/", api.EventListView.as_view(), name="api-events"),
    path("invoices/", api.InvoiceCreateView.as_view(), name="api-invoices-create"),
    path("invoices/<int:pk>/", api.InvoiceDetailView.as_view(), name="api-invoices-detail"),
]
