"""Vendor-facing pages of this app (mounted under /vendor/catalog/, `vendor` namespace)."""

from django.urls import path

from catalog import views

urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("new/", views.product_new, name="product_new"),
    path("<int:pk>/", views.product_detail, name="product_detail"),
    path("<int:pk>/submit/", views.product_send_to_review, name="product_submit"),
    path("<int:pk>/update/", views.product_update, name="product_update"),
    path("<int:pk>/update/submit/", views.revision_send_to_review, name="revision_submit"),
    # Issue 13: drafts edited before submission; MS-4.1.2 qualifications per product.
    path("<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("<int:pk>/specifications/", views.product_spec_add, name="product_spec_add"),
    path(
        "<int:pk>/qualifications/",
        views.product_qualification_upload,
        name="product_qualification_upload",
    ),
]
