"""Build a small, realistic demo marketplace and print the demo logins.

Each app contributes its objects through `<app>/demo.py: seed(ctx) -> None`, run in the
direction of the app graph (vendors, catalog, orders, compliance). `ctx` is a dict shared
between them; apps add their logins to `ctx["logins"]` as (username, password, description).
Running it again on a seeded database changes nothing.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from marketplace import roles

DEMO_APPS = ["vendors", "catalog", "orders", "compliance"]
DEMO_PASSWORD = "demo-pass-2026"


def ensure_staff_user(username: str, *, role: str | None = None, superuser: bool = False):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"is_staff": True, "is_superuser": superuser}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    if role:
        user.groups.add(roles.group_for(role))
    return user


class Command(BaseCommand):
    help = "Create demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options) -> None:
        # Issue 8 §3: demo accounts share one published password; never on production.
        if getattr(settings, "PRODUCTION", False):
            raise CommandError(
                "seed_demo refuses to run with DJANGO_ENV=production: demo accounts share a "
                "published password"
            )
        ctx: dict = {"logins": [], "password": DEMO_PASSWORD}
        with transaction.atomic():
            ctx["admin"] = ensure_staff_user("admin", superuser=True)
            ctx["logins"].append(("admin", DEMO_PASSWORD, "superuser"))
            for role, label in roles.ROLE_LABELS.items():
                username = role.replace("_", "-")
                ctx[role] = ensure_staff_user(username, role=role)
                ctx["logins"].append((username, DEMO_PASSWORD, str(label)))
            # A second compliance lead, so the second-approver rule can be tried in the demo.
            ctx["compliance_lead_2"] = ensure_staff_user(
                "compliance-lead-2", role=roles.COMPLIANCE_LEAD
            )
            ctx["logins"].append(
                ("compliance-lead-2", DEMO_PASSWORD, str(roles.ROLE_LABELS[roles.COMPLIANCE_LEAD]))
            )
            for app in DEMO_APPS:
                try:
                    module = import_module(f"{app}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app}.demo":
                        raise
                    continue
                module.seed(ctx)
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Logins (admin: /admin/, vendors: /vendor/):")
        )
        width = max(len(u) for u, _p, _d in ctx["logins"])
        for username, password, description in ctx["logins"]:
            self.stdout.write(f"  {username.ljust(width)}  {password}  {description}")
