"""Admin of the vendors app: a UI over `vendors.services` (DESIGN "Where code goes")."""

from vendors.admin import deposit, duties, exits, onboarding, vendors  # noqa: F401  (registers the admins)
