"""Two-factor sign-in for staff (issue 8 §3): enrol, verify, recovery codes, the production
requirement for the roles that evict, ban, deduct deposits or pay money out, and the audited
reset. Everything is tried over HTTP, also as the wrong person."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace import roles, two_factor
from marketplace.two_factor_models import TwoFactorEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-for-tests-1"
ADMIN_PAGES = ["/admin/", "/admin/orders/refund/", "/admin/vendors/depositentry/"]


@pytest.fixture(autouse=True)
def _no_backoff(settings):
    # django-otp waits 2^(n-1) s after each wrong code; the tests do not sleep (one test
    # turns it back on to see the refusal).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture(autouse=True)
def _english_pages(client):
    # Pages follow the language cookie; the tests read the English messages.
    client.cookies["django_language"] = "en"


def second_client(client):
    other = type(client)()
    other.cookies["django_language"] = "en"
    return other


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True


def staff(role: str | None = None, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    if role:
        user.groups.add(roles.group_for(role))
    return user


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    """A confirmed authenticator and recovery codes, as the enrol page leaves them."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    codes = two_factor.two_factor_enrol_confirm(user=user, device=device, token=code_for(device))
    assert codes is not None
    device.refresh_from_db()
    # The next sign-in uses the following time step (a used step is refused, no replay).
    device.last_t = -1
    device.save(update_fields=["last_t"])
    return device, codes


def password_sign_in(client, user) -> None:
    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, "password sign-in failed"


class TestEnrol:
    def test_enrol_page_shows_qr_key_and_turns_on_with_a_code(self, client):
        user = staff(roles.FINANCE)
        client.force_login(user)
        page = client.get(reverse("two-factor-enrol"))
        assert page.status_code == 200
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        html = page.content.decode()
        assert "<svg" in html and "two-factor-qr" in html  # QR rendered here, no CDN
        assert "otpauth://totp/" in html
        key = page.context["secret"].replace(" ", "")
        assert key and key in html.replace(" ", "")
        # Reloading keeps the same key (the app may already hold it).
        assert client.get(reverse("two-factor-enrol")).context["secret"].replace(" ", "") == key

        wrong = client.post(reverse("two-factor-enrol"), {"code": "000000"})
        assert wrong.status_code == 200
        assert "The code is not correct" in wrong.content.decode()
        device.refresh_from_db()
        assert not device.confirmed and not StaticDevice.objects.filter(user=user).exists()

        done = client.post(reverse("two-factor-enrol"), {"code": code_for(device)})
        assert done.status_code == 200
        assert "no-store" in done["Cache-Control"]
        codes = done.context["codes"]
        assert len(codes) == 10 and len(set(codes)) == 10
        assert all(code in done.content.decode() for code in codes)
        device.refresh_from_db()
        assert device.confirmed
        assert StaticToken.objects.filter(device__user=user).count() == 10
        assert TwoFactorEvent.objects.filter(
            user=user, actor=user, kind=TwoFactorEvent.Kind.ENROLLED
        ).exists()
        # Shown once: the status page tells how many are left, never the codes.
        overview = client.get(reverse("two-factor")).content.decode()
        assert not any(code in overview for code in codes)
        # The enrolling session is verified: the back office opens.
        assert client.get("/admin/").status_code == 200

    def test_only_the_password_cannot_replace_the_authenticator(self, client):
        user = staff(roles.FINANCE)
        device, _codes = enrolled(user)
        client.force_login(user)  # password step only: the session owes the second factor
        response = client.get(reverse("two-factor-enrol"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two-factor-verify"))
        response = client.post(reverse("two-factor-enrol"), {"code": "123456"})
        assert response.status_code == 302
        assert list(TOTPDevice.objects.filter(user=user)) == [device]

    def test_new_recovery_codes_replace_the_old_ones(self, client):
        user = staff(roles.FINANCE)
        device, old = enrolled(user)
        client.force_login(user)
        client.post(reverse("two-factor-verify"), {"code": code_for(device)})
        assert client.get(reverse("two-factor-recovery-codes")).status_code == 405  # POST only
        response = client.post(reverse("two-factor-recovery-codes"))
        assert response.status_code == 200
        new = response.context["codes"]
        assert set(new).isdisjoint(old)
        assert not StaticToken.objects.filter(token__in=old).exists()
        assert TwoFactorEvent.objects.filter(
            user=user, kind=TwoFactorEvent.Kind.RECOVERY_CODES
        ).exists()

    def test_vendor_users_have_no_two_factor_pages(self, client):
        client.force_login(UserFactory(is_staff=False))
        assert client.get(reverse("two-factor-enrol")).status_code == 403


class TestVerify:
    def test_after_the_password_the_admin_asks_for_the_code(self, client):
        user = staff(roles.REFUND_ARBITRATOR)  # enrolled by choice: verified too
        device, _codes = enrolled(user)
        password_sign_in(client, user)
        blocked = client.get("/admin/orders/refund/")
        assert blocked.status_code == 302
        assert blocked["Location"] == (
            reverse("two-factor-verify") + "?next=%2Fadmin%2Forders%2Frefund%2F"
        )
        wrong = client.post(
            reverse("two-factor-verify"), {"code": "000000", "next": "/admin/orders/refund/"}
        )
        assert wrong.status_code == 200
        assert "The code is not correct or has expired" in wrong.content.decode()
        assert client.get("/admin/").status_code == 302  # still refused

        right = client.post(
            reverse("two-factor-verify"),
            {"code": code_for(device), "next": "/admin/orders/refund/"},
        )
        assert right.status_code == 302 and right["Location"] == "/admin/orders/refund/"
        assert client.get("/admin/orders/refund/").status_code == 200

    # (NUL bytes are answered 400 by marketplace.request_values before any view.)
    @pytest.mark.parametrize("code", ["000000", "x" * 40, "12 34", "１２３４５６"])
    def test_bad_codes_are_refused_on_the_chinese_page_without_500(self, client, code):
        user = staff(roles.FINANCE)
        enrolled(user)
        client.force_login(user)
        client.cookies["django_language"] = "zh-hans"
        response = client.post(reverse("two-factor-verify"), {"code": code})
        assert response.status_code == 200
        assert 'lang="zh-hans"' in response.content.decode()
        assert response.context["form"].errors  # refused with a message, page re-shown
        assert client.get("/admin/").status_code == 302

    def test_a_used_code_is_not_accepted_again(self, client):
        user = staff(roles.FINANCE)
        device, _codes = enrolled(user)
        code = code_for(device)
        client.force_login(user)
        assert client.post(reverse("two-factor-verify"), {"code": code}).status_code == 302
        other = second_client(client)
        other.force_login(user)
        replay = other.post(reverse("two-factor-verify"), {"code": code})
        assert replay.status_code == 200  # the same code in another session: refused

    def test_repeated_wrong_codes_are_slowed_down(self, client, settings):
        settings.OTP_TOTP_THROTTLE_FACTOR = 60
        user = staff(roles.FINANCE)
        device, _codes = enrolled(user)
        client.force_login(user)
        client.post(reverse("two-factor-verify"), {"code": "000000"})
        response = client.post(reverse("two-factor-verify"), {"code": code_for(device)})
        assert response.status_code == 200  # even the right code waits out the back-off
        assert "Too many wrong codes" in response.content.decode()

    def test_next_may_not_leave_the_site(self, client):
        user = staff(roles.FINANCE)
        device, _codes = enrolled(user)
        client.force_login(user)
        response = client.post(
            reverse("two-factor-verify"),
            {"code": code_for(device), "next": "https://evil.example/"},
        )
        assert response["Location"] == reverse("admin:index")


class TestRecoveryCodes:
    def test_a_recovery_code_signs_in_once(self, client):
        user = staff(roles.FINANCE)
        _device, codes = enrolled(user)
        client.force_login(user)
        response = client.post(reverse("two-factor-verify"), {"code": f" {codes[0].upper()} "})
        assert response.status_code == 302
        assert client.get("/admin/").status_code == 200
        assert StaticToken.objects.filter(device__user=user).count() == 9
        assert (
            TwoFactorEvent.objects.filter(
                user=user, kind=TwoFactorEvent.Kind.RECOVERY_CODE_USED
            ).count()
            == 1
        )

        client.post(reverse("logout"))
        client.force_login(user)
        again = client.post(reverse("two-factor-verify"), {"code": codes[0]})
        assert again.status_code == 200  # used up
        assert client.get("/admin/").status_code == 302
        assert client.post(reverse("two-factor-verify"), {"code": codes[1]}).status_code == 302


class TestRequirement:
    """The production rule: roles that can evict, ban, deduct deposits or pay money out."""

    def test_the_listed_permissions_exist_and_pick_finance_and_compliance_lead(self, settings):
        listed = settings.TWO_FACTOR_REQUIRED_PERMISSIONS
        for perm in listed:  # a renamed codename must not switch the rule off silently
            app_label, codename = perm.split(".")
            assert Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).exists(), perm
        declared = roles.declared_permissions()
        demanding = {role for role, perms in declared.items() if perms & set(listed)}
        assert demanding == {roles.FINANCE, roles.COMPLIANCE_LEAD}

    def test_on_in_production_off_in_development(self, settings):
        assert settings.TWO_FACTOR_REQUIRED is False  # tests and development
        env = {
            **os.environ,
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": "x" * 60,
            "DJANGO_ALLOWED_HOSTS": "portal.example.com",
        }
        code = "from django.conf import settings; print(settings.TWO_FACTOR_REQUIRED)"
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.stdout.strip().splitlines()[-1] == "True", result.stderr

    @pytest.mark.parametrize("role", [roles.FINANCE, roles.COMPLIANCE_LEAD])
    def test_lead_and_finance_without_device_are_sent_to_enrol(self, client, required, role):
        user = staff(role)
        client.force_login(user)
        for page in [*ADMIN_PAGES, reverse("two-factor")]:
            response = client.get(page)
            assert response.status_code == 302, page
            assert response["Location"].startswith(reverse("two-factor-enrol")), page
        # POSTs too: no admin action runs before the second factor.
        response = client.post("/admin/vendors/depositentry/", {"action": "x"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two-factor-enrol"))
        assert client.get(reverse("two-factor-enrol")).status_code == 200

    def test_enrolled_but_unverified_is_sent_to_verify_then_allowed(self, client, required):
        user = staff(roles.COMPLIANCE_LEAD)
        device, _codes = enrolled(user)
        client.force_login(user)
        client.session.pop(two_factor.PENDING_SESSION_KEY, None)  # even without the flag
        response = client.get("/admin/")
        assert response["Location"].startswith(reverse("two-factor-verify"))
        client.post(reverse("two-factor-verify"), {"code": code_for(device)})
        for page in ADMIN_PAGES:
            assert client.get(page).status_code in (200, 403), page  # the admin decides now
        assert client.get("/admin/").status_code == 200

    def test_verified_finance_uses_the_admin(self, client, required):
        user = staff(roles.FINANCE)
        device, _codes = enrolled(user)
        client.force_login(user)
        client.post(reverse("two-factor-verify"), {"code": code_for(device)})
        for page in ADMIN_PAGES:
            assert client.get(page).status_code == 200, page

    def test_superusers_are_required_too(self, client, required):
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        assert client.get("/admin/")["Location"].startswith(reverse("two-factor-enrol"))

    @pytest.mark.parametrize(
        "role",
        [
            roles.REFUND_ARBITRATOR,
            roles.COMPLIANCE_REVIEWER,
            roles.ONBOARDING_REVIEWER,
            roles.SECURITY_REVIEWER,
        ],
    )
    def test_other_roles_are_not_forced(self, client, required, role):
        client.force_login(staff(role))
        assert client.get("/admin/").status_code == 200

    def test_not_enforced_when_the_setting_is_off(self, client):
        client.force_login(staff(roles.FINANCE))
        for page in ADMIN_PAGES:
            assert client.get(page).status_code == 200, page


class TestReset:
    def reset_url(self, user) -> str:
        return reverse("two-factor-reset", args=[user.pk])

    @pytest.mark.parametrize("role", [roles.FINANCE, roles.COMPLIANCE_LEAD, None])
    def test_staff_without_the_right_cannot_reset(self, client, role):
        target = staff(roles.FINANCE)
        enrolled(target)
        client.force_login(staff(role))
        assert client.get(self.reset_url(target)).status_code == 403
        response = client.post(self.reset_url(target), {"reason": "lost phone"})
        assert response.status_code == 403
        assert TOTPDevice.objects.filter(user=target).exists()
        assert not TwoFactorEvent.objects.filter(kind=TwoFactorEvent.Kind.RESET).exists()

    def test_vendor_user_is_sent_to_sign_in(self, client):
        target = staff(roles.FINANCE)
        enrolled(target)
        client.force_login(UserFactory(is_staff=False))
        response = client.post(self.reset_url(target), {"reason": "lost phone"})
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
        assert TOTPDevice.objects.filter(user=target).exists()

    def test_superuser_resets_with_a_reason_and_it_is_audited(self, client, settings):
        target = staff(roles.FINANCE)
        enrolled(target)
        admin_user = UserFactory(is_staff=True, is_superuser=True)
        client.force_login(admin_user)
        page = client.get(self.reset_url(target))
        assert page.status_code == 200  # GET shows the form, changes nothing
        assert TOTPDevice.objects.filter(user=target).exists()

        blank = client.post(self.reset_url(target), {"reason": "   "})
        assert blank.status_code == 200 and blank.context["form"].errors
        assert TOTPDevice.objects.filter(user=target).exists()

        done = client.post(self.reset_url(target), {"reason": "Phone lost, ticket IT-42"})
        assert done.status_code == 302
        assert done["Location"] == reverse("admin:auth_user_change", args=[target.pk])
        assert not TOTPDevice.objects.filter(user=target).exists()
        assert not StaticDevice.objects.filter(user=target).exists()
        event = TwoFactorEvent.objects.get(kind=TwoFactorEvent.Kind.RESET)
        assert (event.user, event.actor, event.reason) == (
            target,
            admin_user,
            "Phone lost, ticket IT-42",
        )
        assert event.created_at is not None

        # The user enrols again at the next sign-in where the rule applies.
        settings.TWO_FACTOR_REQUIRED = True
        other = second_client(client)
        other.force_login(target)
        assert other.get("/admin/")["Location"].startswith(reverse("two-factor-enrol"))

    def test_a_granted_permission_allows_reset(self, client):
        target = staff(roles.COMPLIANCE_LEAD)
        enrolled(target)
        support = staff(roles.ONBOARDING_REVIEWER)
        support.user_permissions.add(
            Permission.objects.get(
                codename="reset_two_factor", content_type__app_label="marketplace"
            )
        )
        client.force_login(support)
        response = client.post(self.reset_url(target), {"reason": "new phone"})
        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(user=target).exists()

    def test_nobody_resets_their_own(self, client):
        admin_user = UserFactory(is_staff=True, is_superuser=True)
        enrolled(admin_user)
        client.force_login(admin_user)
        session = client.session
        session.pop(two_factor.PENDING_SESSION_KEY, None)
        session.save()
        response = client.post(self.reset_url(admin_user), {"reason": "mine"})
        assert response.status_code == 200
        assert "cannot reset your own" in response.content.decode()
        assert TOTPDevice.objects.filter(user=admin_user).exists()

    def test_device_admins_of_the_library_are_gone_and_events_are_read_only(self, client):
        admin_user = UserFactory(is_staff=True, is_superuser=True)
        client.force_login(admin_user)
        assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
        assert client.get("/admin/otp_static/staticdevice/").status_code == 404
        target = staff(roles.FINANCE)
        enrolled(target)
        event = TwoFactorEvent.objects.get(user=target)
        assert client.get("/admin/marketplace/twofactorevent/").status_code == 200
        assert client.get("/admin/marketplace/twofactorevent/add/").status_code == 403
        url = reverse("admin:marketplace_twofactorevent_delete", args=[event.pk])
        assert client.post(url, {"post": "yes"}).status_code == 403
        assert TwoFactorEvent.objects.filter(pk=event.pk).exists()
        user_page = client.get(reverse("admin:auth_user_change", args=[target.pk]))
        assert self.reset_url(target) in user_page.content.decode()
