from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from catalog import workboard
        from catalog.dashboard import products_panel
        from vendors import dashboard

        workboard.register_queues()

        dashboard.register_nav("catalog", _("Products"), "vendor:product_list", order=20)
        dashboard.register_panel("catalog", products_panel)
