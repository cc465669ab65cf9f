"""Accounts are deactivated, never deleted: history keeps naming who acted (audit)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_audit_no_one_deletes_an_account_over_http_superuser_included(client):
    User = get_user_model()
    root = User.objects.create_superuser("root", password="x")
    leaver = User.objects.create_user("leaver", password="x", is_staff=True)
    client.force_login(root)

    page = client.get(reverse("admin:auth_user_change", args=[leaver.pk]))
    assert page.status_code == 200
    assert reverse("admin:auth_user_delete", args=[leaver.pk]) not in page.content.decode()

    assert (
        client.post(
            reverse("admin:auth_user_delete", args=[leaver.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    bulk = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [leaver.pk], "post": "yes"},
    )
    assert bulk.status_code == 200
    assert User.objects.filter(pk=leaver.pk).exists()


def test_audit_a_leaver_is_deactivated_instead(client):
    User = get_user_model()
    root = User.objects.create_superuser("root", password="x")
    leaver = User.objects.create_user("leaver", password="x", is_staff=True)
    client.force_login(root)
    url = reverse("admin:auth_user_change", args=[leaver.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "groups"}
    data.update(
        {
            "username": "leaver",
            "is_active": "",
            "is_staff": "on",
            "date_joined_0": leaver.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": leaver.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("last_login", None)
    data.pop("user_permissions", None)
    data.pop("password", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    leaver.refresh_from_db()
    assert leaver.is_active is False
