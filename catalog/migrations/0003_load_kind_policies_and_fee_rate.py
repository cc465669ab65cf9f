"""Load the refund policy of every product kind and the default service-fee rate.

Effective from 2023-03-17, the version of the marketplace rules the portal implements.
- MS-2.8: image and software services: the purchase day through the 5th day; ops services
  until the service is confirmed. RULES ASSUMPTIONs: SaaS and cloud applications follow the
  software rule, manual services the ops rule, development tools are tool products.
- MS-5.1: tool products cannot be refunded.
- MS-2.6 ASSUMPTION: service fee 10% of the order amount, the default for every category.

The rows are listed, and loaded, in catalog.reference_data (also used by the test suite).
"""

from django.db import migrations

from catalog.reference_data import load_reference_data


def load(apps, schema_editor):
    load_reference_data(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_lifecycle_reviews_policies")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
