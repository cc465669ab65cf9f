"""Vendor-facing pages of this app (mounted in the `vendor` namespace under /vendor/orders/)."""

from django.urls import path

from orders import views

urlpatterns = [
    path("", views.order_list, name="orders"),
    path("refunds/", views.refund_list, name="refunds"),
    path("refunds/<int:pk>/agree/", views.refund_agree, name="refund_agree"),
    path("refunds/<int:pk>/dispute/", views.refund_dispute, name="refund_dispute"),
]
