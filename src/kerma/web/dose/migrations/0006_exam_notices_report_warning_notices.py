"""The exam's notes and each report's warnings as notices ({code, params, text}), worded in
the reader's language; rows stored before keep only their English text (empty list here)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dose', '0005_report_event_uids_totals'),
    ]

    operations = [
        migrations.AddField(
            model_name='exam',
            name='notices',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name='report',
            name='warning_notices',
            field=models.JSONField(blank=True, default=list),
        ),
    ]
