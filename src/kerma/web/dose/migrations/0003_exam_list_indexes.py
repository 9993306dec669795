"""Indexes of the exams list: its order, newest first, with or without a device or modality
filter, the distinct procedure names of a device (the NRD act filter), the dashboard's counts.

The list reads a page as an index range in (study date, study time, id) order; with the device or
modality in front, a filtered page is a range of its own index too, so that neither page 1 nor
page 1000 sorts or skips rows (see ``kerma.web.dose.queries.keyset_page``). Plain SQL, valid on
SQLite and PostgreSQL, outside the models' state: the model keeps its own indexes and these
only serve the list's queries.
"""

from django.db import migrations

INDEXES = {
    "dose_exam_list_date": "study_date, study_time, id",
    "dose_exam_list_device": "device_id, study_date, study_time, id",
    "dose_exam_list_modality": "modality, study_date, study_time, id",
    # The act of an exam comes from its procedure name: an act's exams of a device in a period
    # (charts, NRD) are one range of this index.
    "dose_exam_device_procedure": 'device_id, "procedure", study_date',
    # The dashboard counts each device's exams (tests apart) and finds its latest study from the
    # index alone.
    "dose_exam_device_test": "device_id, is_test, study_date",
}


class Migration(migrations.Migration):
    dependencies = [
        ("dose", "0002_device_unit"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON dose_exam ({columns})",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]
