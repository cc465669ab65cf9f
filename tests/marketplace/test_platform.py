"""Platform-wide pieces: settings profiles, money, language switching, roles, API errors."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from marketplace import roles
from marketplace.money import format_cny, to_money

ROOT = Path(__file__).resolve().parents[2]


def test_production_profile_passes_check_deploy_without_warnings():
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "x" * 30 + "-production-secret-for-the-check-" + "y" * 20,
        "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_profile_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_ENV": "production", "DJANGO_SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


class TestMoney:
    def test_amounts_have_two_places(self):
        assert to_money("10") == Decimal("10.00")
        assert to_money(Decimal("0.005")) == Decimal("0.01")  # half up, as invoices round

    def test_floats_are_refused(self):
        with pytest.raises(TypeError):
            to_money(0.1)

    @pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", ""])
    def test_garbage_is_refused(self, bad):
        with pytest.raises(ValueError):
            to_money(bad)

    def test_format(self):
        assert format_cny(Decimal("12345.6")) == "¥12,345.60"


@pytest.mark.django_db
class TestLanguage:
    def test_admin_is_chinese_by_default(self, client):
        response = client.get(reverse("admin:login"))
        assert "用户名" in response.content.decode()

    def test_user_switches_to_english_and_it_sticks(self, client, django_user_model):
        user = django_user_model.objects.create_user("lang", password="pw-1-lang", is_staff=True)
        client.force_login(user)
        response = client.post(
            reverse("set_language"), {"language": "en", "next": reverse("admin:index")}
        )
        assert response.status_code == 302
        page = client.get(reverse("admin:index")).content.decode()
        assert "Log out" in page
        assert 'name="language"' in page  # the switcher is on every admin page

    def test_admin_warns_while_next_years_calendar_is_unconfirmed(self, client, django_user_model):
        user = django_user_model.objects.create_superuser("cal-admin", password="pw-1-cal")
        client.force_login(user)
        page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "2027" in page and "provisional" in page


@pytest.mark.django_db
class TestRoles:
    def test_every_role_group_exists_with_exactly_the_declared_permissions(self):
        declared = roles.declared_permissions()
        for role, name in roles.ROLE_NAMES.items():
            group = Group.objects.get(name=name)
            granted = {
                f"{p.content_type.app_label}.{p.codename}"
                for p in group.permissions.select_related("content_type")
            }
            assert granted == declared[role], role

    def test_sync_removes_a_permission_no_longer_declared(self):
        from django.contrib.auth.models import Permission

        group = roles.group_for(roles.FINANCE)
        stray = Permission.objects.get(codename="delete_group")
        group.permissions.add(stray)
        roles.sync_role_groups()
        assert not group.permissions.filter(pk=stray.pk).exists()

    def test_reviewers_are_not_superusers_of_the_calendar(self):
        group = roles.group_for(roles.REFUND_ARBITRATOR)
        assert not group.permissions.filter(codename="confirm_calendaryear").exists()
