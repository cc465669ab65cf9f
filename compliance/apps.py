from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        # Act at once on the lower apps' domain signals (DESIGN "Apps and their direction").
        from compliance import receivers

        receivers.connect()
        from compliance import workboard

        workboard.register_queues()
        # Penalties: the vendor nav link and the deposit exit check (MS-3.1.5 ④).
        from compliance import hooks

        hooks.register()
