"""Default product categories and their deposit tiers (MS-3.1.5 ①).

The source does not state the amounts; the marketplace's published fee page uses three tiers,
1,000 / 2,000 / 5,000 CNY (RULES.md ASSUMPTION). Tiers are data: finance edits them in the
admin, each effective from a date. The defaults take effect from the rule book's version date.
The rows are listed, and loaded, in vendors.reference_data (also used by the test suite).
"""

from django.db import migrations

from vendors.reference_data import load_categories_and_tiers


def forwards(apps, schema_editor):
    load_categories_and_tiers(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("vendors", "0002_onboarding_and_deposit")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
