# Issue 11: the stamp of the order API's cached reference data (orders.refdata).

from django.db import migrations, models

from orders.reference_data import load_reference_data


def create_stamp(apps, schema_editor):
    load_reference_data(apps, using=schema_editor.connection.alias)


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
