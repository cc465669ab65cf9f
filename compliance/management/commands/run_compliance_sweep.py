"""`manage.py run_compliance_sweep [--as-of ISO-DATETIME] [--rule NAME] [--dry-run]`.

Runs the timed rules (DESIGN "The sweep") as of now or the given aware moment, prints a line
per rule, and exits non-zero when any rule failed for any vendor. Schedule it with cron, a
systemd timer or a Kubernetes CronJob (README); overlapping runs are safe (per-rule locks).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Min
from django.utils import timezone

from compliance.models import ViolationVersion
from compliance.sweep.registry import rule_names
from compliance.sweep.runner import RuleReport, run_sweep
from marketplace.timeutils import parse_aware, start_of_day


class Command(BaseCommand):
    help = "Run the compliance sweep: timed rules, escalations, expiries and KPIs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="Evaluate as of this ISO 8601 moment WITH an offset, e.g. 2026-10-12T09:00+08:00.",
        )
        parser.add_argument(
            "--rule",
            dest="rules",
            action="append",
            choices=rule_names(),
            help="Run only this rule (repeatable). Default: every rule.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Plan only: report what would change."
        )
        parser.add_argument(
            "--allow-future",
            action="store_true",
            help="Accept an --as-of in the future (a rehearsal on a copy of the database).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = parse_aware(options["as_of"])
            except (ValueError, OverflowError) as exc:
                raise CommandError(
                    f"--as-of {options['as_of']!r} is not an ISO 8601 date-time with a time "
                    f"zone offset (e.g. 2026-10-12T09:00:00+08:00): {exc}"
                ) from exc
            _check_as_of_range(as_of, allow_future=options["allow_future"] or options["dry_run"])
        header = (
            f"{'rule':<20} {'examined':>9} {'acted':>6} {'lifted':>6} {'flagged':>7} "
            f"{'errors':>6} {'queries':>7} {'seconds':>8}"
        )
        self.stdout.write(header)

        def line(r: RuleReport) -> None:
            if r.skipped:
                self.stdout.write(f"{r.rule:<20} skipped: another run is evaluating this rule")
                return
            acted = r.planned if dry_run else r.acted
            self.stdout.write(
                f"{r.rule:<20} {r.examined:>9} {acted:>6} {r.lifted:>6} {r.flagged:>7} "
                f"{r.errors:>6} {r.queries:>7} {r.seconds:>8.3f}"
            )

        dry_run = options["dry_run"]
        report = run_sweep(as_of=as_of, rules=options["rules"], dry_run=dry_run, on_rule_done=line)
        mode = " (dry run: nothing written; 'acted' = planned changes)" if dry_run else ""
        self.stdout.write(f"as of {report.as_of.isoformat()}, run #{report.run_id}{mode}")
        if report.failed:
            failed = ", ".join(r.rule for r in report.rules if r.errors)
            raise CommandError(
                f"the sweep recorded failures in: {failed} (see the rule evaluations with "
                f"outcome 'error' of run #{report.run_id})"
            )


def _check_as_of_range(as_of: dt.datetime, *, allow_future: bool) -> None:
    """Issue 9 §1/§4: `--as-of` lies between the violation table's first effective day and
    now plus the allowed clock skew. A moment before any rule existed judges by no rule; a
    future one would start deadlines and measures early. A dry run writes nothing, so it may
    look ahead; `--allow-future` is for rehearsals on a copy of the database."""
    first = ViolationVersion.objects.aggregate(first=Min("effective_from"))["first"]
    if first is not None and as_of < start_of_day(first):
        raise CommandError(
            f"--as-of {as_of.isoformat()} is before the violation table's first effective "
            f"day ({first.isoformat()}, China time): no rule was in force then."
        )
    latest = timezone.now() + settings.COMPLIANCE_SWEEP_AS_OF_MAX_SKEW
    if not allow_future and as_of > latest:
        raise CommandError(
            f"--as-of {as_of.isoformat()} is in the future (more than "
            f"{settings.COMPLIANCE_SWEEP_AS_OF_MAX_SKEW} ahead of now): use --dry-run to "
            "plan ahead, or --allow-future on a rehearsal copy of the database."
        )
