"""Admin of the orders app: orders, refunds, invoices and API service accounts."""

from orders.admin import accounts, invoices, orders, refunds, settlement  # noqa: F401  (registers)
