"""Import jobs: the file is kept in media storage (several app servers share it), checked at
once (dry run), and imported in the background when the reviewer confirms."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.importing import FileRejected, ImportReport, import_cases
from compliance.models import ImportJob
from marketplace.exceptions import PermissionDenied, StateConflict

IMPORT_PERMISSION = "compliance.import_penaltycase"


def _require_import_perm(actor: Any) -> None:
    if actor is not None and not actor.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied()


def _record(job: ImportJob, report: ImportReport) -> None:
    job.total_rows = report.total
    job.new_rows = report.new
    job.unchanged_rows = report.unchanged
    job.error_rows = report.error_rows
    job.errors = report.error_messages()


def import_job_check(
    *, name: str, content: bytes, actor: Any, language: str | None = None
) -> tuple[ImportJob, ImportReport | None]:
    """Store the uploaded file and dry-run it. Nothing but the job is written."""
    _require_import_perm(actor)
    job = ImportJob(
        original_name=name[:255],
        created_by=actor if getattr(actor, "pk", None) else None,
        language=language or translation.get_language() or "zh-hans",
    )
    job.file.save(name, ContentFile(content), save=False)
    report = None
    try:
        report = import_cases(content, filename=name, dry_run=True, actor=actor)
    except FileRejected as exc:
        job.status = ImportJob.Status.FAILED
        job.message = exc.message
        job.errors = [exc.message]
        job.finished_at = timezone.now()
    else:
        _record(job, report)
        job.status = ImportJob.Status.CHECKED
    job.save()
    return job, report


def import_job_start(*, job: ImportJob, actor: Any) -> ImportJob:
    """Queue the real import of a checked, error-free file (run by the background worker)."""
    _require_import_perm(actor)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING, ImportJob.Status.DONE):
            return job  # a retried click
        if job.status != ImportJob.Status.CHECKED or job.error_rows:
            raise StateConflict(
                _("Only a checked file without errors can be imported."), code="import_state"
            )
        job.status = ImportJob.Status.QUEUED
        job.save(update_fields=["status"])
        from compliance.tasks import run_import_job

        transaction.on_commit(lambda: run_import_job.enqueue(job_id=job.pk))
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """The background part: check again (the data may have changed) and write all or none."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportJob.Status.QUEUED:
            return job
        job.status = ImportJob.Status.RUNNING
        job.processed_rows = 0
        job.save(update_fields=["status", "processed_rows"])

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done)

    with translation.override(job.language):
        try:
            with job.file.open("rb") as handle:
                content = handle.read()
            report = import_cases(
                content,
                filename=job.original_name,
                dry_run=False,
                actor=job.created_by,
                job=job,
                progress=progress,
            )
        except FileRejected as exc:
            job.status = ImportJob.Status.FAILED
            job.message = exc.message
            job.errors = [exc.message]
        else:
            _record(job, report)
            job.processed_rows = report.total
            if report.has_errors:
                job.status = ImportJob.Status.FAILED
                job.message = _("Nothing was imported: some rows have errors now.")
            else:
                job.status = ImportJob.Status.DONE
                job.message = _("%(new)s cases imported, %(unchanged)s unchanged.") % {
                    "new": report.written,
                    "unchanged": report.unchanged,
                }
    job.finished_at = timezone.now()
    job.save()
    return job
