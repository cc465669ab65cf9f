"""Vendor-facing pages of this app (mounted in the `vendor` namespace under /vendor/orders/)."""

from django.urls import path

from orders import statement_views, views

urlpatterns = [
    path("", views.order_list, name="orders"),
    path("export/", views.order_export, name="orders_export"),
    path("<int:pk>/", views.order_detail, name="order"),
    path("refunds/", views.refund_list, name="refunds"),
    path("refunds/<int:pk>/", views.refund_detail, name="refund"),
    path("refunds/<int:pk>/agree/", views.refund_agree, name="refund_agree"),
    path("refunds/<int:pk>/dispute/", views.refund_dispute, name="refund_dispute"),
    path("statements/", statement_views.statement_list, name="statements"),
    path("statements/<int:pk>/", statement_views.statement_detail, name="statement"),
    path(
        "statements/<int:pk>/confirm/", statement_views.statement_confirm, name="statement_confirm"
    ),
    path(
        "statements/<int:pk>/dispute/", statement_views.statement_dispute, name="statement_dispute"
    ),
    path(
        "statements/<int:pk>/vat-invoice/",
        statement_views.statement_vat_invoice,
        name="statement_vat_invoice",
    ),
    path(
        "statements/<int:pk>/fee-invoice/",
        statement_views.statement_fee_invoice,
        name="statement_fee_invoice",
    ),
    path("statements/<int:pk>/xlsx/", statement_views.statement_xlsx, name="statement_xlsx"),
    path("refund-terms/", views.refund_terms, name="refund_terms"),
    path("invoices/", views.invoice_list, name="invoices"),
]
