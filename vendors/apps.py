from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VendorsConfig(AppConfig):
    name = "vendors"
    verbose_name = _("Vendors")

    def ready(self) -> None:
        from vendors import dashboard, receivers

        receivers.connect()

        from vendors import workboard

        workboard.register_queues()

        dashboard.register_nav("home", _("Home"), "vendor:home", order=0)
        dashboard.register_nav("deposit", _("Deposit"), "vendor:deposit", order=80)
        dashboard.register_nav("onboarding", _("Onboarding"), "vendor:onboarding", order=90)

        from vendors import duty_hooks

        duty_hooks.register()  # issue 13: documents, agreement, service commitments
        dashboard.register_nav("exit", _("Exit"), "vendor:exit", order=95)
        dashboard.register_nav("settings", _("My settings"), "vendor:settings", order=99)
