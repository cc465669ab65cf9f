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


@task()
def run_rule_for_vendor(rule: str, vendor_id: int) -> dict:
    """A timed rule for one vendor, waiting for the rule's lock (issue 11).

    Enqueued by a signal receiver whose web request could not get the lock at once (a sweep
    was running that rule's batch): e.g. MS-4.2's immediate hiding of a product whose SaaS
    delivery failed. Waits in the worker until the sweep's batch commits, then does what the
    receiver would have done; idempotent (the rule's plan reads the current state), so a
    sweep that already did it leaves nothing to do.
    """
    from compliance.sweep.runner import run_rule_now

    return run_rule_now(rule, vendor_id=vendor_id).as_dict()
