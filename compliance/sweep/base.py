"""The shapes every timed rule shares: a context, a plan of actions, and outcomes.

A rule is two steps (DESIGN "The sweep"):
- `plan(ctx, vendor_ids=None)` reads set-based (a fixed number of queries, whatever the number
  of vendors or orders) and returns what should change now;
- `execute(ctx, actions)` makes the change in bulk (again a fixed number of queries) and
  returns the outcomes to record.
Both are idempotent by construction: the plan reads the state the previous execution left,
so a rerun at the same moment plans nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils.functional import Promise

from compliance.models import EvaluationOutcome, RuleSetting, SweepRun
from marketplace.workcalendar import WorkCalendar

SWEEP_ACTOR = None  # the system; history rows name the rule in their reason


@dataclass
class SweepContext:
    as_of: dt.datetime
    setting: RuleSetting
    run: SweepRun | None = None  # None when a signal receiver acts at once
    dry_run: bool = False
    _calendar: WorkCalendar | None = None

    @property
    def calendar(self) -> WorkCalendar:
        # One calendar per run: it loads the overrides once (two queries), then is pure.
        if self._calendar is None:
            self._calendar = WorkCalendar()
        return self._calendar


@dataclass
class Action:
    """One change the plan asks for, about one subject of one vendor."""

    kind: str  # rule-specific: "apply", "lift", "flag", ...
    vendor_id: int | None
    subject_type: str
    subject_id: str
    figures: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    examined: int
    actions: list[Action]


@dataclass
class Notice:
    """What to tell the vendor; rendered later in the vendor's language."""

    subject: Promise | str
    body: Promise | str
    params: dict[str, Any] = field(default_factory=dict)
    action_required_by: dt.datetime | None = None


@dataclass
class Outcome:
    outcome: str  # EvaluationOutcome
    vendor_id: int | None
    subject_type: str
    subject_id: str
    figures: dict[str, Any]
    message: str = ""
    dedupe_key: str | None = None
    measure_id: int | None = None
    measure_kind: str = ""
    flagged_to: str = ""
    notice: Notice | None = None


class Rule:
    """Base of the timed rules; subclasses set the names and implement plan/execute."""

    name: ClassVar[str]  # SweepRule value, the `--rule` name
    rule_id: ClassVar[str]  # RULES.md ID, e.g. "MS-3.1.5 ③"

    def plan(self, ctx: SweepContext, *, vendor_ids: Sequence[int] | None = None) -> Plan:
        raise NotImplementedError

    def execute(self, ctx: SweepContext, actions: Sequence[Action]) -> list[Outcome]:
        raise NotImplementedError

    def outcome_for_error(
        self, vendor_id: int | None, actions: Sequence[Action], exc: Exception
    ) -> Outcome:
        """The evaluation recording that this vendor's changes failed (and were undone)."""
        first = actions[0] if actions else None
        return Outcome(
            outcome=EvaluationOutcome.ERROR,
            vendor_id=vendor_id,
            subject_type=first.subject_type if first else "vendor",
            subject_id=first.subject_id if first else str(vendor_id or ""),
            figures={"actions": [a.kind for a in actions]},
            message=f"{type(exc).__name__}: {exc}",
        )

    @staticmethod
    def vendor_filter(vendor_ids: Sequence[int] | None, field_name: str = "vendor_id") -> dict:
        return {f"{field_name}__in": list(vendor_ids)} if vendor_ids is not None else {}
