"""`manage.py run_settlement --period YYYY-MM [--dry-run]`: the month's draft statements."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace.exceptions import DomainError
from orders.services.settlement import parse_period, settlement_run


class Command(BaseCommand):
    help = (
        "Make the draft settlement statements of a China-time month (per vendor and sales "
        "mode) from every order, refund paid, open clawback and adjustment not yet on one. "
        "Idempotent; safe to run twice at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="the month, YYYY-MM")
        parser.add_argument(
            "--dry-run", action="store_true", help="compute and report, write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = parse_period(options["period"])
            result = settlement_run(period=period, dry_run=options["dry_run"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        prefix = "dry run: would make" if result.dry_run else "made"
        self.stdout.write(
            f"{prefix} {result.statements} statements with {result.lines} lines for "
            f"{result.period:%Y-%m}, net payable {result.net_total} CNY"
        )
