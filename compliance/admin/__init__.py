"""Compliance admin: the violation table (editable by the compliance lead only), penalty cases
with audited action buttons, applied measures, the bulk import, the sweep's records and
service complaints: one module each, `common` holding the shared bits.

Every state change is a button leading to an intermediate page that shows exactly what will
happen and asks for a reason; the view checks the permission itself and calls a service.
Money and state fields are read-only. Changelists cost a fixed number of queries.
"""

# Importing the modules registers their admins.
from compliance.admin import (  # noqa: F401
    cases,
    complaints,
    imports,
    measures,
    sweep,
    violations,
)
