"""Every write of the orders app: orders and delivery, refunds, invoices, service accounts."""

from orders.services.accounts import *  # noqa: F403
from orders.services.invoices import *  # noqa: F403
from orders.services.orders import *  # noqa: F403
from orders.services.refunds import *  # noqa: F403
from orders.services.settlement import *  # noqa: F403
