"""Admin of the orders app: orders, refunds, invoices and API service accounts."""

from orders.admin import accounts, invoices, orders, refunds  # noqa: F401  (registers)
