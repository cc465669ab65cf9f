"""Vendor-facing pages of this app (mounted under /vendor/compliance/, `vendor` namespace)."""

from django.urls import path

from compliance import views

urlpatterns = [
    path("", views.case_list, name="compliance_cases"),
    path("<int:pk>/", views.case_detail, name="compliance_case"),
    path("complaints/", views.complaint_list, name="complaints"),  # MS-4.3, MS-4.4
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.notice_read, name="notice_read"),
    path("inbox/read-all/", views.notices_read_all, name="notices_read_all"),
    path("restrictions/", views.restrictions, name="restrictions"),
]
