"""`{% workboard %}`: the viewer's work queues on the admin home (marketplace.workboard)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from marketplace.workboard import board

register = template.Library()


@register.inclusion_tag("admin/marketplace/workboard.html", takes_context=True)
def workboard(context: template.Context) -> dict:
    request = context["request"]
    rows = board(request.user, timezone.now())
    return {"rows": rows, "waiting": sum(row.count for row in rows)}
