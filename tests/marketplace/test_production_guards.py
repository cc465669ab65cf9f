"""Issue 8 §3, the production profile's doors.

- `/api/schema/` and `/api/docs/` need a staff session or a valid API token in production
  (`ApiDocsAccess` reads `settings.PRODUCTION` at request time, so the tests switch it on).
- `seed_demo` refuses `DJANGO_ENV=production` and writes nothing.
- The `bench_*` commands refuse a database holding users or vendors not made by a benchmark,
  unless `--allow-existing-data`.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tests.factories import UserFactory, VendorFactory, VendorStaffFactory
from tests.orders.factories import make_account

pytestmark = pytest.mark.django_db

DOCS = ["/api/schema/", "/api/docs/"]
HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}
JSON = {"HTTP_ACCEPT": "application/json"}
ANY = {"HTTP_ACCEPT": "*/*"}  # curl, scripts


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True


def refused(url: str, accept: dict) -> int:
    """The status production refuses the docs with: 406 where the page has no representation
    of the accepted type (the docs page no JSON, the schema no HTML), else 403."""
    if (url, accept) in (("/api/docs/", JSON), ("/api/schema/", HTML)):
        return 406
    return 403


# --- API schema and docs -----------------------------------------------------------------


@pytest.mark.parametrize("url", DOCS)
def test_issue_8_3_docs_are_open_in_development(settings, url):
    settings.PRODUCTION = False
    assert Client().get(url).status_code == 200


@pytest.mark.parametrize("url", DOCS)
@pytest.mark.parametrize("accept", [JSON, ANY], ids=["json", "any"])
def test_issue_8_3_anonymous_non_browser_callers_are_refused_in_production(
    production, url, accept
):
    response = Client().get(url, **accept)
    assert response.status_code == refused(url, accept)  # 406: /api/docs/ serves no JSON at all
    assert b"paths" not in response.content and b"swagger-ui" not in response.content
    if accept is ANY:
        assert response.status_code == 403
        assert b"not_authenticated" in response.content or b"permission_denied" in response.content


def test_issue_8_3_an_anonymous_browser_is_sent_to_the_admin_sign_in(production):
    response = Client().get("/api/docs/", **HTML)
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/api/docs/"


@pytest.mark.parametrize("url", DOCS)
def test_issue_8_3_a_staff_session_reads_the_docs_in_production(production, url):
    client = Client()
    client.force_login(UserFactory(username="docs-staff", is_staff=True))
    response = client.get(url)
    assert response.status_code == 200


def test_issue_8_3_the_schema_is_the_real_schema_for_staff(production):
    client = Client()
    client.force_login(UserFactory(username="docs-staff", is_staff=True))
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert "/api/v1/orders/" in response.json()["paths"]


@pytest.mark.parametrize("url", DOCS)
def test_issue_8_3_a_valid_api_token_reads_the_docs_in_production(production, url):
    _account, token = make_account(preset="billing")
    response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}", **ANY)
    assert response.status_code == 200
    assert (b"openapi" in response.content) or (b"swagger-ui" in response.content)


@pytest.mark.parametrize("url", DOCS)
@pytest.mark.parametrize("accept", [HTML, ANY], ids=["html", "any"])
def test_issue_8_3_a_vendor_user_is_refused_the_docs(production, url, accept):
    """The wrong person: a signed-in vendor user (no staff) is neither served nor sent to
    the admin sign-in as if anonymous."""
    client = Client()
    client.force_login(VendorStaffFactory().user)
    response = client.get(url, **accept)
    assert response.status_code == refused(url, accept)
    assert b"swagger-ui" not in response.content and b"openapi" not in response.content


@pytest.mark.parametrize("url", DOCS)
def test_issue_8_3_an_invalid_or_deactivated_token_is_refused(production, url):
    account, token = make_account(preset="storefront")
    leader, prefix, _secret = token.split("_", 2)
    wrong_secret = f"{leader}_{prefix}_{'x' * len(_secret)}"
    for bad in ["not-a-token", wrong_secret]:
        for accept in (ANY, HTML, JSON):
            response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {bad}", **accept)
            assert response.status_code == refused(url, accept), (bad, accept)
            assert b"swagger-ui" not in response.content and b"openapi" not in response.content
    account.active = False
    account.save(update_fields=["active"])
    response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}", **ANY)
    assert response.status_code == 403


def test_issue_8_3_an_inactive_staff_session_is_refused(production):
    user = UserFactory(username="docs-gone", is_staff=True)
    client = Client()
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/api/schema/", **JSON).status_code == 403


# --- seed_demo -----------------------------------------------------------------------------


def test_issue_8_3_seed_demo_refuses_the_production_profile(settings):
    settings.PRODUCTION = True
    users = get_user_model().objects.count()
    with pytest.raises(CommandError, match="DJANGO_ENV=production"):
        call_command("seed_demo")
    assert get_user_model().objects.count() == users
    assert not get_user_model().objects.filter(username="admin").exists()


def test_issue_8_3_seed_demo_refuses_django_env_production(tmp_path: Path):
    """With the real environment variable, in a process of its own, on a database file that
    must stay untouched."""
    database = tmp_path / "prod.sqlite3"
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "test-only-" + "k" * 50,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
    }
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    result = subprocess.run(
        [sys.executable, str(manage), "seed_demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "refuses to run with DJANGO_ENV=production" in result.stderr
    assert "demo-pass" not in result.stdout
    assert not database.exists() or database.stat().st_size == 0


# --- benchmark commands --------------------------------------------------------------------

BENCH_CALLS = [
    pytest.param("bench_penalty_import", ["--rows", "5", "--vendors", "2"], id="penalty"),
    pytest.param(
        "bench_compliance_sweep",
        ["--vendors", "2", "--products", "2", "--orders", "2"],
        id="sweep",
    ),
    pytest.param("bench_admin_pages", ["--runs", "1", "--only", "nothing-matches"], id="admin"),
]


def _counts() -> tuple[int, int]:
    from vendors.models import Vendor

    return get_user_model().objects.count(), Vendor.objects.count()


@pytest.mark.parametrize("command,args", BENCH_CALLS)
@pytest.mark.parametrize("existing", ["user", "vendor"])
def test_issue_8_3_benchmarks_refuse_a_database_with_real_data(command, args, existing):
    if existing == "user":
        UserFactory(username="real-reviewer", is_staff=True)
    else:
        VendorFactory(name="Real vendor Co., Ltd.")
    before = _counts()
    with pytest.raises(CommandError, match="--allow-existing-data"):
        call_command(command, *args)
    assert _counts() == before  # nothing seeded, no benchmark sign-in created


def test_issue_8_3_the_penalty_benchmark_runs_on_a_benchmark_database():
    """The guard refuses real data only: on an empty database the benchmark seeds and runs."""
    assert _counts() == (0, 0)
    call_command("bench_penalty_import", "--rows", "5", "--vendors", "2", stdout=io.StringIO())
    assert _counts()[1] == 2
    # And its own rows do not make the next run refuse.
    from compliance.models import PenaltyCase

    assert PenaltyCase.objects.exists()


def test_issue_8_3_the_flag_lets_an_operator_run_on_existing_data():
    UserFactory(username="real-reviewer", is_staff=True)
    call_command(
        "bench_penalty_import",
        "--rows",
        "5",
        "--vendors",
        "2",
        "--allow-existing-data",
        stdout=io.StringIO(),
    )
    assert _counts()[1] == 2
