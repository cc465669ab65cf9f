"""Platform roles as auth groups with exact permissions.

Each app declares what its roles may do in its own `roles.py` as
`ROLE_PERMISSIONS = {"<role>": ["app_label.codename", ...]}`; this module merges them and
syncs the groups after every `migrate` (post_migrate), because the permissions of every app
exist only once all migrations have run. The sync is exact: a group loses a permission that
is no longer declared.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps as global_apps
from django.utils.translation import gettext_lazy as _

ONBOARDING_REVIEWER = "onboarding_reviewer"
SECURITY_REVIEWER = "security_reviewer"
REFUND_ARBITRATOR = "refund_arbitrator"
COMPLIANCE_REVIEWER = "compliance_reviewer"
COMPLIANCE_LEAD = "compliance_lead"
FINANCE = "finance"

# Group names are what reviewers see in the admin, so they are the Chinese terms.
ROLE_NAMES = {
    ONBOARDING_REVIEWER: "入驻审核员",
    SECURITY_REVIEWER: "产品安全审核员",
    REFUND_ARBITRATOR: "退款仲裁员",
    COMPLIANCE_REVIEWER: "合规审核员",
    COMPLIANCE_LEAD: "合规负责人",
    FINANCE: "财务",
}
ROLE_LABELS = {
    ONBOARDING_REVIEWER: _("Onboarding reviewer"),
    SECURITY_REVIEWER: _("Product security reviewer"),
    REFUND_ARBITRATOR: _("Refund arbitrator"),
    COMPLIANCE_REVIEWER: _("Compliance reviewer"),
    COMPLIANCE_LEAD: _("Compliance lead (second approver)"),
    FINANCE: _("Finance"),
}

# Every reviewer reads the working calendar; finance and onboarding maintain it.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    role: ["marketplace.view_calendaroverride", "marketplace.view_calendaryear"]
    for role in ROLE_NAMES
}
for _role in (ONBOARDING_REVIEWER, FINANCE):
    ROLE_PERMISSIONS[_role] += [
        "marketplace.add_calendaroverride",
        "marketplace.change_calendaroverride",
        "marketplace.add_calendaryear",
        "marketplace.change_calendaryear",
        "marketplace.confirm_calendaryear",
    ]


def declared_permissions() -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {role: set() for role in ROLE_NAMES}
    for config in global_apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.roles")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.roles":
                raise
            continue
        for role, perms in getattr(module, "ROLE_PERMISSIONS", {}).items():
            merged.setdefault(role, set()).update(perms)
    return merged


def sync_role_groups(sender: Any = None, using: str = "default", **kwargs: Any) -> None:
    """Create or update one group per role with exactly the declared permissions."""
    last_app = list(global_apps.get_app_configs())[-1].name
    if sender is not None and getattr(sender, "name", None) != last_app:
        return  # once per migrate, after every app's permissions were created
    from django.contrib.auth.models import Group, Permission

    all_perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using).select_related("content_type")
    }
    for role, perms in declared_permissions().items():
        group, _created = Group.objects.using(using).get_or_create(name=ROLE_NAMES[role])
        missing = sorted(perms - all_perms.keys())
        if missing:
            raise RuntimeError(f"role {role} names unknown permissions: {missing}")
        group.permissions.set([all_perms[p] for p in sorted(perms)])


def group_for(role: str):
    from django.contrib.auth.models import Group

    return Group.objects.get(name=ROLE_NAMES[role])
