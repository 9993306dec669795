from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("nrd", "0003_move_auditentry_to_audit"),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluation",
            name="notices",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
