"""Vendor-facing pages of this app (mounted in the `vendor` namespace)."""

from django.urls import path

from vendors import views

urlpatterns = [
    path("", views.home, name="home"),
    path("deposit/", views.deposit, name="deposit"),
    path("onboarding/", views.onboarding, name="onboarding"),
    path("onboarding/new/", views.application_new, name="application_new"),
    path("onboarding/<int:pk>/", views.application_detail, name="application"),
    path("onboarding/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("onboarding/<int:pk>/documents/", views.application_upload, name="application_upload"),
    path("onboarding/<int:pk>/submit/", views.application_send, name="application_submit"),
    path("documents/<int:pk>/", views.document_file, name="document"),
]
