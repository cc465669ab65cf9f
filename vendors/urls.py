"""Vendor-facing pages of this app (mounted in the `vendor` namespace)."""

from django.urls import path

from vendors import views, views_duties

urlpatterns = [
    path("", views.home, name="home"),
    path("deposit/", views.deposit, name="deposit"),
    path("settings/", views.staff_settings, name="settings"),
    path("onboarding/", views.onboarding, name="onboarding"),
    path("onboarding/new/", views.application_new, name="application_new"),
    path("onboarding/<int:pk>/", views.application_detail, name="application"),
    path("onboarding/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("onboarding/<int:pk>/documents/", views.application_upload, name="application_upload"),
    path("onboarding/<int:pk>/submit/", views.application_send, name="application_submit"),
    path("documents/<int:pk>/", views.document_file, name="document"),
    # Issue 13 duties: MS-3.1.4, MS-6.1.1, MS-4.3/4.4.
    path("agreement/", views_duties.agreement, name="agreement"),
    path("agreement/sign/", views_duties.agreement_sign_view, name="agreement_sign"),
    path("documents/", views_duties.documents, name="documents"),
    path("documents/replace/", views_duties.document_replace_view, name="document_replace"),
    path("service/", views_duties.service_commitments, name="service_commitments"),
    path("exit/", views.exit_page, name="exit"),
    path("exit/request/", views.exit_request_view, name="exit_request"),
]
