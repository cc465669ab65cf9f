"""Import jobs: the file is checked (dry run) and, when the reviewer confirms, imported in the
background. Issue 9 §3:

- A file up to `PENALTY_IMPORT_BACKGROUND_BYTES` is checked in the request, from the upload,
  before anything is stored: a refused file leaves no job and no file in media. A larger file
  is stored in media storage (several app servers share it) and checked by a background task;
  the job page shows its progress. Nothing large runs inside a web request.
- Every background run ends `done` or `failed`, whatever goes wrong: a refused file (its
  stored copy is deleted, the message says why), or any other error (logged; the file is
  kept and the job can be retried). A job whose worker died stops beating
  (`heartbeat_at`); after `PENALTY_IMPORT_STALE_MINUTES` it is marked failed and retryable.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.importing import CheckChanged, FileRejected, ImportReport, import_cases
from compliance.models import ImportJob
from marketplace.exceptions import PermissionDenied, StateConflict, ValidationFailed

logger = logging.getLogger(__name__)

IMPORT_PERMISSION = "compliance.import_penaltycase"
ACTIVE = (ImportJob.Status.CHECKING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


def _require_import_perm(actor: Any) -> None:
    if actor is not None and not actor.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied()


def _record(job: ImportJob, report: ImportReport) -> None:
    job.total_rows = report.total
    job.new_rows = report.new
    job.unchanged_rows = report.unchanged
    job.error_rows = report.error_rows
    job.errors = report.error_messages()


def _fail(job: ImportJob, message: str, *, refused: bool) -> None:
    """End a job as failed. A refused file is deleted (no orphan in media): retrying it would
    refuse it again; after any other error the file stays so the job can be retried."""
    job.status = ImportJob.Status.FAILED
    job.message = message
    job.errors = [message]
    job.finished_at = timezone.now()
    if refused and job.file:
        job.file.delete(save=False)


def runs_in_background(size: int) -> bool:
    return size > settings.PENALTY_IMPORT_BACKGROUND_BYTES


def import_job_check(
    *, name: str, content: bytes, actor: Any, language: str | None = None
) -> tuple[ImportJob, ImportReport | None]:
    """Check an uploaded file (dry run): at once if small, else in the background.

    Raises `ValidationFailed` (nothing stored) for a small file that cannot be read.
    """
    _require_import_perm(actor)
    job = ImportJob(
        original_name=name[:255],
        created_by=actor if getattr(actor, "pk", None) else None,
        language=language or translation.get_language() or "zh-hans",
    )
    if runs_in_background(len(content)):
        with transaction.atomic():
            job.status = ImportJob.Status.CHECKING
            job.heartbeat_at = timezone.now()
            job.file.save(name, ContentFile(content), save=False)
            job.save()
            _enqueue_check(job.pk)
        return job, None
    try:
        report = import_cases(content, filename=name, dry_run=True, actor=actor)
    except FileRejected as exc:
        raise ValidationFailed(exc.message, code="import_file_refused") from exc
    _record(job, report)
    job.status = ImportJob.Status.CHECKED
    job.file.save(name, ContentFile(content), save=False)
    job.save()
    return job, report


def _enqueue_check(job_id: int) -> None:
    from compliance.tasks import check_import_job

    transaction.on_commit(lambda: check_import_job.enqueue(job_id=job_id))


def _claim(job_id: int, expected: str, status: str) -> ImportJob | None:
    """Move a job from `expected` to `status` (locked), or None if another run has it."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != expected:
            return None
        job.status = status
        job.processed_rows = 0
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "processed_rows", "heartbeat_at"])
    return job


def _beat(job_id: int):
    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done, heartbeat_at=timezone.now())

    return progress


def _read(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def import_job_check_run(*, job_id: int) -> ImportJob:
    """The background check of a large file (task `check_import_job`)."""
    return _run_job(job_id, claim=(ImportJob.Status.CHECKING, ImportJob.Status.CHECKING))


def _run_job(job_id: int, *, claim: tuple[str, str], dry_run: bool = True) -> ImportJob:
    """Claim the job (`claim`: from status, to status), check its file (`dry_run`) or import
    it, and save the outcome. Every run ends checked, done or failed, whatever goes wrong
    (issue 9 §3); a job another run has claimed is returned as it is."""
    job = _claim(job_id, *claim)
    if job is None:
        return ImportJob.objects.get(pk=job_id)
    # Issue 12 §3: confirm creates exactly what the reviewer previewed.
    confirmed = {} if dry_run else {"job": job, "expected": (job.new_rows, job.unchanged_rows)}
    with translation.override(job.language):
        try:
            report = import_cases(
                _read(job),
                filename=job.original_name,
                dry_run=dry_run,
                actor=job.created_by,
                progress=_beat(job_id),
                **confirmed,
            )
        except CheckChanged as exc:
            _fail(job, exc.message, refused=False)  # the file stays: "Retry" checks it again
        except FileRejected as exc:
            _fail(job, exc.message, refused=True)
        except Exception:
            # Whatever it is (database refusal, lost connection, full disk): the write was
            # rolled back; the job must not stay `running` for ever (issue 9 §3).
            logger.exception(
                "penalty import job %s: %s failed", job_id, "check" if dry_run else "import"
            )
            _fail(job, _unexpected(), refused=False)
        else:
            _record(job, report)
            job.processed_rows = report.total
            _conclude(job, report, dry_run=dry_run)
    job.heartbeat_at = timezone.now()
    if not dry_run:
        job.finished_at = job.heartbeat_at
    job.save()
    return job


def _conclude(job: ImportJob, report: ImportReport, *, dry_run: bool) -> None:
    if dry_run:
        job.status = ImportJob.Status.CHECKED
    elif report.has_errors:
        job.status = ImportJob.Status.FAILED
        job.message = _("Nothing was imported: some rows have errors now.")
    else:
        job.status = ImportJob.Status.DONE
        job.message = _("%(new)s cases imported, %(unchanged)s unchanged.") % {
            "new": report.written,
            "unchanged": report.unchanged,
        }


def _unexpected() -> str:
    return _(
        "The file could not be processed because of an unexpected error; nothing was "
        "written. Retry, or ask an administrator if it happens again."
    )


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
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "heartbeat_at"])
        from compliance.tasks import run_import_job

        transaction.on_commit(lambda: run_import_job.enqueue(job_id=job.pk))
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """The background part: check again (the data may have changed) and write all or none."""
    return _run_job(
        job_id, claim=(ImportJob.Status.QUEUED, ImportJob.Status.RUNNING), dry_run=False
    )


def import_job_expire_stale(*, job: ImportJob, now: dt.datetime | None = None) -> ImportJob:
    """Mark failed a job whose background run stopped giving signs of life (worker killed)."""
    now = now or timezone.now()
    limit = now - dt.timedelta(minutes=settings.PENALTY_IMPORT_STALE_MINUTES)
    if job.status not in ACTIVE or (job.heartbeat_at or job.created_at) > limit:
        return job
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status in ACTIVE and (job.heartbeat_at or job.created_at) <= limit:
            _fail(
                job,
                _("The background work stopped without finishing; nothing was written. Retry."),
                refused=False,
            )
            job.save()
    return job


def can_retry(job: ImportJob) -> bool:
    return job.status == ImportJob.Status.FAILED and bool(job.file)


def import_job_retry(*, job: ImportJob, actor: Any) -> ImportJob:
    """Check a failed job's file again in the background (the import re-checks anyway)."""
    _require_import_perm(actor)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status in ACTIVE:
            return job  # a retried click
        if not can_retry(job):
            raise StateConflict(
                _("This import cannot be retried: upload the file again."), code="import_state"
            )
        job.status = ImportJob.Status.CHECKING
        job.total_rows = job.processed_rows = job.new_rows = 0
        job.unchanged_rows = job.error_rows = 0
        job.errors = []
        job.message = ""
        job.finished_at = None
        job.heartbeat_at = timezone.now()
        job.save()
        _enqueue_check(job.pk)
    return job
