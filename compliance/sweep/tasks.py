"""The sweep as a background task (Django's tasks API), e.g. enqueued from the admin.

Periodic runs are the management command under cron / a systemd timer / a CronJob (README);
this task is for running it on demand through the task worker.
"""

from __future__ import annotations

from django_tasks import task

from compliance.sweep.runner import run_sweep
from marketplace.timeutils import parse_aware


@task()
def run_compliance_sweep_task(as_of: str | None = None, rules: list[str] | None = None) -> dict:
    """Run the sweep; arguments are JSON-serialisable (an ISO moment, rule names)."""
    report = run_sweep(as_of=parse_aware(as_of) if as_of else None, rules=rules, trigger="task")
    return {
        "run_id": report.run_id,
        "failed": report.failed,
        "rules": [r.as_dict() for r in report.rules],
    }
