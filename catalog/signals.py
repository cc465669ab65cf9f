"""Domain signals of the catalogue, sent on commit (DESIGN: a lower app tells a higher one).

`compliance` connects a receiver; this app never connects any itself.
"""

from __future__ import annotations

from django.dispatch import Signal

# MS-4.1.1 / MS-6.1.2: a product entered a listed state (listed, relisted, or an update was
# published onto it). Carries `vendor_id` and `product_id`. Its effective visibility must be
# derived from every measure in force at once (MS-4.2, MS-3.1.5 ③, MS-7): a product listed
# while its store is shielded or "hide all SaaS products" is in force stays hidden.
product_listed = Signal()
