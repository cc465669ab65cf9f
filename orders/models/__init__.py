"""Orders models: orders and delivery (orders), refunds with vendor terms and clawbacks
(refunds), invoices (invoices), and the API's service accounts (accounts)."""

from orders.models.accounts import *  # noqa: F403
from orders.models.invoices import *  # noqa: F403
from orders.models.orders import *  # noqa: F403
from orders.models.refdata import *  # noqa: F403
from orders.models.refunds import *  # noqa: F403
from orders.models.settlement import *  # noqa: F403
