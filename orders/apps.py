from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from orders import workboard
        from orders.selectors import vendor_outstanding_orders

        workboard.register_queues()

        # MS-3.1.5 ④: no deposit refund while orders are unfinished or disputes open.
        try:
            from vendors import exit_checks
        except ImportError:  # pragma: no cover - the vendors app without a registry
            pass
        else:
            exit_checks.register(vendor_outstanding_orders)
            # MS-3.1.5 ④ / MS-8: nor while a settlement statement is not yet paid.
            from orders.statement_selectors import vendor_unsettled_statements

            exit_checks.register(vendor_unsettled_statements)
            # MS-3.1.5 ②: a refund deduction names a real refund of the vendor.
            from orders.selectors import refund_deduction_refusal
            from vendors import deduction_refs
            from vendors.models import DeductionCause

            deduction_refs.register(DeductionCause.REFUND, refund_deduction_refusal)
            # MS-8.4.1: the exit refunds the unfinished orders in the exit's own transaction.
            from orders.selectors import exit_progress_lines
            from orders.services.exit import on_vendor_exit_started
            from vendors import exit_progress
            from vendors.signals import vendor_exit_started

            vendor_exit_started.connect(on_vendor_exit_started, dispatch_uid="orders.exit_refunds")
            exit_progress.register("orders", exit_progress_lines)
            # MS-8.4.3 read only after exit, except what finishes the exit: the last
            # statements are confirmed or disputed and invoiced by the vendor (MS-3.1.5 ④).
            for name in (
                "statement_confirm",
                "statement_dispute",
                "statement_vat_invoice",
                "statement_fee_invoice",
            ):
                exit_progress.allow_write(f"vendor:{name}")
        try:
            from vendors import dashboard
        except ImportError:  # pragma: no cover
            return
        from orders.dashboard import panel

        dashboard.register_nav("orders", _("Orders"), "vendor:orders", order=30)
        dashboard.register_nav("refunds", _("Refunds"), "vendor:refunds", order=31)
        dashboard.register_nav("statements", _("Statements"), "vendor:statements", order=32)
        dashboard.register_nav("refund_terms", _("Refund terms"), "vendor:refund_terms", order=33)
        dashboard.register_nav("invoices", _("Invoices"), "vendor:invoices", order=34)
        dashboard.register_panel("orders", panel)
