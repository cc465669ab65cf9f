# Issue 11: the stamp of the order API's cached reference data (orders.refdata).

import uuid

from django.db import migrations, models


def create_stamp(apps, schema_editor):
    stamp = apps.get_model("orders", "RefDataStamp")
    stamp.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"value": uuid.uuid4().hex}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_admin_list_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="RefDataStamp",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("value", models.CharField(max_length=32)),
            ],
            options={
                "verbose_name": "reference data stamp",
                "default_permissions": (),
            },
        ),
        migrations.RunPython(create_stamp, migrations.RunPython.noop),
    ]
