"""The exam keeps the DICOM Pregnancy Status (0010,21C0) its objects carried (issue 15)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dose", "0006_exam_notices_report_warning_notices"),
    ]

    operations = [
        migrations.AddField(
            model_name="exam",
            name="pregnancy_status",
            field=models.CharField(
                blank=True,
                help_text="DICOM Pregnancy Status (0010,21C0), if sent",
                max_length=20,
            ),
        ),
    ]
