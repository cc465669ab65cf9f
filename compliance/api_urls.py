"""Compliance's endpoints under /api/v1/ (MS-4.3, MS-4.4)."""

from django.urls import path

from compliance import api

urlpatterns = [
    path("complaints/", api.ComplaintCreateView.as_view(), name="api-complaints-create"),
]
