"""Load the violation table (违规情形处理一览表, MS-7 annex): 19 rows with their sub-cases.

The text is the 2023-03-17 revision of the rules. It is loaded as effective from 2017-08-01
(MS-9.1, the rules' effective date) because no earlier revision is on file; a later revision
is added as a new version with its own effective date (MS-9.2).

The table is written out, and loaded, in compliance.reference_data (also used by the test
suite).
"""

from django.db import migrations

from compliance.reference_data import load_reference_data


def load(apps, schema_editor):
    load_reference_data(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0003_penalties"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
