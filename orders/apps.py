from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        # MS-3.1.5 ④: no deposit refund while orders are unfinished or disputes open.
        try:
            from vendors import exit_checks
        except ImportError:  # the vendors app has no registry (older tree)
            return
        from orders.selectors import vendor_outstanding_orders

        exit_checks.register(vendor_outstanding_orders)
