"""Create an API service account and print its token once (it is not stored)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from marketplace.exceptions import DomainError
from orders.models import SCOPE_PRESETS, ApiOperation
from orders.services import service_account_create


class Command(BaseCommand):
    help = "Create an API service account for the storefront or billing system; prints the token."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument("--channel", required=True, help="sales channel, e.g. cn")
        parser.add_argument("--preset", choices=sorted(SCOPE_PRESETS), help="storefront|billing")
        parser.add_argument(
            "--operation",
            action="append",
            default=[],
            choices=ApiOperation.values,
            help="an allowed operation (repeatable), in addition to the preset",
        )

    def handle(self, *args, name: str, channel: str, preset: str | None, operation, **kw) -> None:
        operations = [*SCOPE_PRESETS.get(preset or "", []), *operation]
        if not operations:
            raise CommandError("give --preset or at least one --operation")
        try:
            account, token = service_account_create(
                name=name, channel=channel, operations=operations, actor=None
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"service account {account.name} ({account.channel}): {', '.join(account.operations)}"
        )
        self.stdout.write("token (shown only now):")
        self.stdout.write(token)
