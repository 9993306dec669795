"""What a stored report keeps so that later reports of its study combine without reading its
archive: the Irradiation Event UIDs it holds and the totals it states. Reports stored before
have neither (null) and are read from their archive when their study is rebuilt."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dose", "0004_event_arc_and_filters"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="event_uids",
            field=models.JSONField(
                blank=True,
                help_text="Irradiation Event UIDs of the report, in order (empty: none given)",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="totals",
            field=models.JSONField(
                blank=True,
                help_text="Totals as the report states them, canonical units",
                null=True,
            ),
        ),
    ]
