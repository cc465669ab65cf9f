"""Compliance models: the violation table, penalty cases and measures (penalties), and the
sweep's evaluations, settings and notifications (sweep)."""

from compliance.models.complaints import *  # noqa: F403
from compliance.models.imports import *  # noqa: F403
from compliance.models.measures import *  # noqa: F403
from compliance.models.penalties import *  # noqa: F403
from compliance.models.sweep import *  # noqa: F403
from compliance.models.violations import *  # noqa: F403
