"""Admin of the catalogue: a UI over `catalog.services` (DESIGN "Where code goes")."""

from catalog.admin import policies, products, reviews  # noqa: F401  (registers the admins)
