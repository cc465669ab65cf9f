from django.db import migrations


class Migration(migrations.Migration):
    """The buyer's reason code gets its own name: `reason` is the audit reason everywhere."""

    dependencies = [("orders", "0008_refund_payment_reference")]

    operations = [
        migrations.RenameField("refund", "reason", "reason_code"),
        migrations.RenameField("historicalrefund", "reason", "reason_code"),
    ]
