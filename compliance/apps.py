from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        # Act at once on the lower apps' domain signals (DESIGN "Apps and their direction").
        from compliance import receivers

        receivers.connect()
