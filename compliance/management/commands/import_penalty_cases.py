"""`manage.py import_penalty_cases FILE [--dry-run] [--user NAME]`: the admin's import path.

Checks every row first; writes only when no row has an error, all rows or none.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from compliance.importing import FileRejected, import_cases
from compliance.services.imports import IMPORT_PERMISSION


class Command(BaseCommand):
    help = (
        "Import penalty cases from a CSV (UTF-8, UTF-8-BOM, GB18030), Excel Unicode text "
        "(UTF-16, tab-separated) or XLSX file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--user", help="username recorded as the importer (needs the import permission)"
        )
        parser.add_argument("--language", default="zh-hans", help="language of the messages")

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None or not actor.has_perm(IMPORT_PERMISSION):
                raise CommandError(f"{options['user']}: unknown user or no import permission")
        with translation.override(options["language"]):
            try:
                report = import_cases(
                    path.read_bytes(),
                    filename=path.name,
                    dry_run=options["dry_run"],
                    actor=actor,
                )
            except FileRejected as exc:
                raise CommandError(exc.message) from exc
            for message in report.error_messages():
                self.stderr.write(message)
            summary = (
                f"rows={report.total} new={report.new} unchanged={report.unchanged} "
                f"errors={report.error_rows} written={report.written}"
            )
            if report.has_errors:
                raise CommandError(f"{summary}: nothing written")
            self.stdout.write(("DRY RUN " if options["dry_run"] else "") + summary)
