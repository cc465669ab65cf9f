"""Vendor-facing pages of this app (mounted in the `vendor` namespace)."""

from django.urls import path

from vendors import views

urlpatterns = [
    path("", views.home, name="home"),
    path("deposit/", views.deposit, name="deposit"),
    path("onboarding/", views.onboarding, name="onboarding"),
    path("onboarding/<int:pk>/", views.application_detail, name="application"),
    path("documents/<int:pk>/", views.document_file, name="document"),
]
