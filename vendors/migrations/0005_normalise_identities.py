"""MS-8.3 / issue 9 §2: rewrite identity fields typed before normalisation in canonical form.

Full-width digits, spaces and mixed case become the canonical form of vendors.identity.
A row whose canonical form would collide with another row's (the unique credit code or cloud
account, the unique ban) keeps its text and is reported: two bans of one identity already ban
it, and two vendors of one identity are for a reviewer to settle. A vendor whose canonical
identity is banned is reported too (it slipped past the ban check): the onboarding checklist
shows it as banned, and the platform decides the eviction. Backwards: nothing to undo.
"""

from __future__ import annotations

import sys

from django.db import migrations

from vendors.identity import normalise_identity


def _report(message: str) -> None:
    sys.stdout.write(f"\n  vendors.0005: {message}")


def _normalise(model, fields: dict[str, str], unique: tuple[str, ...] = ()) -> None:
    # Historical models have plain CharFields: normalise explicitly, row by row.
    for row in model.objects.order_by("pk").iterator():
        changed = []
        for field, normaliser in fields.items():
            old = getattr(row, field)
            new = normalise_identity(normaliser, old)
            if new == old:
                continue
            if field in unique and model.objects.filter(**{field: new}).exclude(pk=row.pk).exists():
                _report(f"{model.__name__} {row.pk} {field} {old!r} collides with {new!r}; kept")
                continue
            setattr(row, field, new)
            changed.append(field)
        if changed:
            row.save(update_fields=changed)


def normalise(apps, schema_editor):
    Vendor = apps.get_model("vendors", "Vendor")
    Application = apps.get_model("vendors", "OnboardingApplication")
    BannedIdentity = apps.get_model("vendors", "BannedIdentity")
    _normalise(
        Vendor,
        {"credit_code": "credit_code", "cloud_account_id": "cloud_account_id"},
        unique=("credit_code", "cloud_account_id"),
    )
    _normalise(
        Application,
        {
            "contact_phone": "contact_phone",
            "contact_qq": "contact_qq",
            "contact_email": "contact_email",
        },
    )
    for ban in BannedIdentity.objects.order_by("pk").iterator():
        new = normalise_identity("banned_value", ban.value)
        if new == ban.value:
            continue
        if BannedIdentity.objects.filter(kind=ban.kind, value=new).exists():
            _report(f"ban {ban.pk} {ban.value!r} duplicates the ban of {new!r}; kept")
            continue
        ban.value = new
        ban.save(update_fields=["value"])
    banned = {(kind, value) for kind, value in BannedIdentity.objects.values_list("kind", "value")}
    for vendor in Vendor.objects.exclude(status="evicted").only(
        "pk", "credit_code", "cloud_account_id"
    ):
        if ("credit_code", vendor.credit_code) in banned or (
            "cloud_account",
            vendor.cloud_account_id,
        ) in banned:
            _report(f"vendor {vendor.pk} holds a banned identity (MS-8.3): review it")


class Migration(migrations.Migration):
    dependencies = [
        ("vendors", "0004_vendor_categories_history"),
    ]

    operations = [
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]
