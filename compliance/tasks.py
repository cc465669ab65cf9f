"""Background tasks of the compliance app (Django's tasks API, django-tasks backport)."""

from __future__ import annotations

from django_tasks import task


@task()
def check_import_job(job_id: int) -> None:
    """Check (dry run) a penalty-case file too large to check inside the web request."""
    from compliance.services.imports import import_job_check_run

    import_job_check_run(job_id=job_id)


@task()
def run_import_job(job_id: int) -> None:
    """Import a checked penalty-case file; progress is kept on the ImportJob row."""
    from compliance.services.imports import import_job_run

    import_job_run(job_id=job_id)
