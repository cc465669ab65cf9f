"""What compliance adds to the lower apps without them importing it (called from
`ComplianceConfig.ready()`): the vendor navigation link and the deposit exit check."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from compliance.selectors import penalty_exit_reasons
    from vendors import dashboard, exit_checks

    dashboard.register_nav("compliance", _("Penalties"), "vendor:compliance_cases", order=60)
    exit_checks.register(penalty_exit_reasons)  # MS-3.1.5 ④ no unexecuted penalty
