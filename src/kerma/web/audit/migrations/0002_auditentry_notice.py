"""An audit entry may carry a core notice (code and parameters), worded when it is read."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="notice",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
