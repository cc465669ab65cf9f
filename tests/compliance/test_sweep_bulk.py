"""Issue 11, sweep first run: outcomes written the fast way (COPY on PostgreSQL, batched
multi-row INSERTs elsewhere), notices rendered once per template and language, and nothing
the rules require lost on the way (evaluations, inbox rows, their history rows, order, links).

Runs on SQLite and on PostgreSQL (DATABASE_URL): the write path differs, the stored rows
must not.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from compliance import notifications
from compliance.models import (
    EvaluationOutcome,
    MeasureKind,
    RuleEvaluation,
    RuleSetting,
    SweepRule,
    SweepRun,
    VendorNotification,
)
from compliance.notifications import NoticeRenderer
from compliance.sweep.base import SweepContext
from compliance.sweep.bulk import BATCH_SIZE, insert_rows
from compliance.sweep.documents import EXPIRED_SUBJECT, DocumentExpiryRule
from compliance.sweep.runner import run_rule
from tests.compliance.sweep.factories import at, document, vendor

pytestmark = pytest.mark.django_db

AS_OF = at("2026-11-20 10:00")
TODAY = AS_OF.date()


def _ctx() -> SweepContext:
    return SweepContext(
        as_of=AS_OF,
        setting=RuleSetting.in_force(AS_OF),
        run=SweepRun.objects.create(as_of=AS_OF),
    )


def _documents(n_vendors: int) -> list:
    vendors = []
    for _ in range(n_vendors):
        v = vendor()
        document(v, valid_until=TODAY - dt.timedelta(days=3))  # expired
        document(v, valid_until=TODAY + dt.timedelta(days=10), kind="legal_rep_id")  # expiring
        vendors.append(v)
    return vendors


def _count_translations(monkeypatch) -> list[str]:
    """Record every language the renderer activates (one activation per template it
    translates)."""
    seen: list[str] = []
    real = translation.override

    def counting(language, *args, **kwargs):
        seen.append(language)
        return real(language, *args, **kwargs)

    monkeypatch.setattr(notifications.translation, "override", counting)
    return seen


def test_ms_6_1_1_outcomes_stored_complete_in_order_with_history():
    """Every flagged document gets its evaluation (figures, dedupe key, run) and one inbox
    row in Chinese linked to it, in evaluation order, each with its '+' history row naming
    the rule; the e-mail-free path writes the rows with a fixed number of statements."""
    vendors = _documents(3)
    ctx = _ctx()
    with CaptureQueriesContext(connection) as captured:
        report = run_rule(ctx, DocumentExpiryRule())
    assert report.flagged == 6 and report.errors == 0

    evaluations = list(RuleEvaluation.objects.filter(rule=SweepRule.DOCUMENTS).order_by("pk"))
    assert [e.vendor_id for e in evaluations] == sorted(v.pk for v in vendors for _ in range(2))
    for e in evaluations:
        assert e.run_id == ctx.run.pk and e.as_of == AS_OF
        assert e.outcome == EvaluationOutcome.FLAGGED and e.flagged_to == "reviewers"
        assert e.rule_id == "MS-6.1.1" and e.dedupe_key.startswith("documents:")
        assert e.figures["threshold"] in {"expired", "expiring"}
        assert e.figures["warning_days"] == 30
        assert e.created_at is not None

    notes = list(VendorNotification.objects.order_by("pk"))
    assert [n.evaluation_id for n in notes] == [e.pk for e in evaluations]  # inbox order
    expired = next(n for n in notes if n.evaluation.message == "expired")
    assert expired.language == "zh-hans"
    assert expired.subject == "资质已到期：营业执照副本（MS-6.1.1）"
    assert expired.body.endswith("规则：MS-6.1.1\n须在 2026-12-17 23:59（北京时间）前处理")
    assert expired.action_required_by is not None
    assert expired.dedupe_key == expired.evaluation.dedupe_key
    for n in notes:
        (row,) = VendorNotification.history.filter(id=n.pk)
        assert row.history_type == "+" and row.history_change_reason == "MS-6.1.1"
        assert (row.subject, row.body) == (n.subject, n.body)

    # One statement each for the evaluations and the inbox rows (COPY on PostgreSQL,
    # a single multi-row INSERT per batch elsewhere), one for their history rows.
    sqls = [q["sql"] for q in captured.captured_queries]
    for model in (RuleEvaluation, VendorNotification):
        table = connection.ops.quote_name(model._meta.db_table)
        writes = [s for s in sqls if s.startswith((f"INSERT INTO {table}", f"COPY {table}"))]
        assert len(writes) == 1, model
        if connection.vendor == "postgresql":
            assert writes[0].startswith("COPY")


def _translations_for(n: int, monkeypatch) -> list[str]:
    """Run the documents rule on n new vendors; the languages the renderer activated."""
    seen = _count_translations(monkeypatch)
    _documents(n)
    run_rule(_ctx(), DocumentExpiryRule())
    monkeypatch.undo()
    return seen


def test_notices_translated_once_per_template_and_language_whatever_their_number(
    monkeypatch,
):
    """4 notices or 12: the renderer translates the same templates once each (two subjects,
    two bodies, two document labels, two footer lines), not once per notice."""
    small = _translations_for(2, monkeypatch)
    large = _translations_for(6, monkeypatch)  # the first 2 vendors' documents are done
    assert VendorNotification.objects.count() == 4 + 12
    assert len(large) == len(small) == 8
    assert set(large) == {"zh-hans"}


def test_renderer_shows_lazy_labels_and_moments_in_its_language():
    """A lazy label passed as a parameter (a measure's kind) is shown in the notice's
    language, not in whatever language was active; moments in China time."""
    moment = at("2026-12-01 08:30")
    params = {"document": MeasureKind.HIDE_PRODUCT.label, "date": "x", "due": moment}
    zh, en = NoticeRenderer("zh-hans"), NoticeRenderer("en")
    label_zh, label_en = zh.text(params["document"]), en.text(params["document"])
    assert label_zh != label_en
    with translation.override("en"):  # the active language does not leak in
        assert zh.render(EXPIRED_SUBJECT, params) == f"资质已到期：{label_zh}（MS-6.1.1）"
    with translation.override("zh-hans"):
        assert en.render(EXPIRED_SUBJECT, params) == f"Document expired: {label_en} (MS-6.1.1)"
    assert en.footer("MS-6.1.1", moment) == (
        "Rule: MS-6.1.1\nAction required by: 2026-12-01 08:30 (China time)"
    )
    assert zh.footer("MS-6.1.1", None) == "规则：MS-6.1.1"


def test_insert_rows_returns_keys_in_order_and_stores_values_as_the_fields_do():
    """Plain tuples in, primary keys out in row order; JSON through the field's encoder
    (Decimals as strings, moments ISO), choices members as their value, created_at set."""
    v = vendor()
    run = SweepRun.objects.create(as_of=AS_OF)
    fields = (
        "run_id",
        "rule",
        "rule_id",
        "vendor_id",
        "subject_type",
        "subject_id",
        "outcome",
        "figures",
        "as_of",
        "dedupe_key",
    )
    rows = [
        (
            run.pk,
            SweepRule.REFUND_RATE,
            "MS-5.8",
            v.pk,
            "vendor",
            str(i),
            EvaluationOutcome.ACTED,
            {"rate_percent": Decimal("1.2500"), "at": AS_OF, "i": i},
            AS_OF,
            f"test:{i}",
        )
        for i in range(BATCH_SIZE + 3)  # more than one batch on SQLite
    ]
    with CaptureQueriesContext(connection) as captured:
        ids = insert_rows(RuleEvaluation, fields, rows)
    assert ids == sorted(ids) and len(set(ids)) == len(rows)
    sqls = [q["sql"] for q in captured.captured_queries]
    if connection.vendor == "postgresql":  # the keys, then one COPY of every row
        assert len(sqls) == 2 and sqls[1].startswith("COPY")
    else:  # one multi-row INSERT per batch (BATCH_SIZE, or fewer where variables are capped)
        columns = [f for f in RuleEvaluation._meta.concrete_fields if not f.primary_key]
        per_batch = min(BATCH_SIZE, connection.ops.bulk_batch_size(columns, rows))
        assert len(sqls) == math.ceil(len(rows) / per_batch) < len(rows) / 10
        assert all(s.startswith("INSERT INTO") for s in sqls)
    stored = {e.pk: e for e in RuleEvaluation.objects.filter(pk__in=ids)}
    for pk, row in zip(ids, rows, strict=True):
        e = stored[pk]
        assert e.subject_id == row[5] and e.dedupe_key == row[9]
        assert e.rule == "refund_rate" and e.outcome == "acted"
        assert e.figures["rate_percent"] == "1.2500"
        assert e.figures["i"] == int(row[5])
        assert e.as_of == AS_OF and e.created_at is not None
        assert e.message == "" and e.measure_id is None  # defaults of the fields not given


def test_insert_rows_refuses_a_row_missing_a_required_value():
    with pytest.raises(ValueError, match="rule_id"):
        insert_rows(RuleEvaluation, ("rule", "outcome", "as_of"), [("documents", "flagged", AS_OF)])
