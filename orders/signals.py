"""Domain signals of the orders app, sent on commit (DESIGN: a lower app tells a higher one).

`compliance` connects receivers (MS-4.2: hide the product, escalate after 7 and 30 days);
this app never connects any itself. Both carry `failure_id`, `vendor_id` and `product_id`.
"""

from __future__ import annotations

from django.dispatch import Signal

# MS-4.2: an order of a SaaS-delivered product failed delivery.
saas_delivery_failed = Signal()
# MS-4.2: that failure was repaired (measures may be lifted once all are repaired).
saas_delivery_repaired = Signal()
