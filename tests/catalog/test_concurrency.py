"""Locking of the review services on PostgreSQL: two reviewers at once decide only once."""

from __future__ import annotations

import pytest

from catalog.models import Product, SecurityReview
from catalog.services import (
    product_submit,
    security_review_approve,
    security_review_record,
    security_review_reject,
    security_review_start,
)
from marketplace.exceptions import DomainError
from tests.catalog.factories import all_pass, draft_product, reviewer
from tests.threads import run_concurrently


def _race(*targets) -> list[str]:
    """Run the targets at once: "ok" for each that went through, else its domain error's
    code (any other error fails the test)."""
    codes = []
    for outcome in run_concurrently(*targets):
        if isinstance(outcome.error, DomainError):
            codes.append(outcome.error.code)
        else:
            outcome.get()
            codes.append("ok")
    return codes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ms_4_1_1_two_reviewers_start_the_same_review_once():
    product = draft_product()
    product_submit(product=product, actor=None)
    first, second = reviewer("r1"), reviewer("r2")
    outcomes = _race(
        lambda: security_review_start(product=product, actor=first),
        lambda: security_review_start(product=product, actor=second),
    )
    # The second one waits for the lock, then finds nothing left to review.
    assert sorted(outcomes) == ["nothing_to_review", "ok"]
    assert SecurityReview.objects.filter(product=product).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ms_4_1_4_approve_and_reject_at_once_decide_only_once():
    rev = reviewer("r1")
    product = draft_product()
    product_submit(product=product, actor=None)
    review = security_review_start(product=product, actor=rev)
    security_review_record(review=review, actor=rev, results=all_pass())
    outcomes = _race(
        lambda: security_review_approve(review=review, actor=rev),
        lambda: security_review_reject(review=review, actor=rev, reason="no"),
    )
    assert sorted(outcomes) == ["ok", "review_decided"]
    review.refresh_from_db()
    product.refresh_from_db()
    if review.outcome == SecurityReview.Outcome.APPROVED:
        assert product.status == Product.Status.LISTED
    else:
        assert product.status == Product.Status.REJECTED
