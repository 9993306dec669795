from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("nrd", "0002_evaluation_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluation",
            name="notices",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
