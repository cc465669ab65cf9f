"""URL map: admin, vendor dashboards under /vendor/, the integration API under /api/v1/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from marketplace import apidocs, files, views
from marketplace import two_factor_views as two_factor

api_v1 = [
    path("", include("catalog.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("compliance.api_urls")),  # MS-4.3/4.4 complaints
]

# Vendor-facing pages from every app share one namespace: {% url 'vendor:...' %}.
vendor_patterns = (
    [
        path("", include("vendors.urls")),
        path("catalog/", include("catalog.urls")),
        path("orders/", include("orders.urls")),
        path("compliance/", include("compliance.urls")),
    ],
    "vendor",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Issue 8 §3: the audited reset of a user's second factor, inside the admin's sign-in.
    path(
        "admin/two-factor/reset/<int:user_id>/",
        admin.site.admin_view(two_factor.reset),
        name="two-factor-reset",
    ),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", two_factor.overview, name="two-factor"),
    path("accounts/two-factor/enrol/", two_factor.enrol, name="two-factor-enrol"),
    path("accounts/two-factor/verify/", two_factor.verify, name="two-factor-verify"),
    path(
        "accounts/two-factor/recovery-codes/",
        two_factor.recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("vendor/", include(vendor_patterns)),
    # Issue 8 §4: uploads only through this authenticated view; /media/ is routed nowhere.
    path("files/<slug:kind>/<int:pk>/", files.private_file, name="private-file"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", apidocs.SchemaView.as_view(), name="schema"),
    path("api/docs/", apidocs.SwaggerView.as_view(url_name="schema"), name="api-docs"),
]
