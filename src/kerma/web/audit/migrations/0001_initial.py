"""The audit log moves from the NRD app to this one without moving a row.

The table ``nrd_auditentry`` was created by ``nrd.0001_initial``; here only Django's idea of the
model changes (``SeparateDatabaseAndState``: state operations, no database operation), and
``nrd.0003_move_auditentry_to_audit`` then forgets the NRD's copy of it. Hence this migration
depends on the NRD's first one (on a fresh database the table comes from there); the content type
is renamed so that the permissions on the log, and the roles holding them, stay as they were.
"""

import django.utils.timezone
from django.db import migrations, models


def _rename_content_type(apps, schema_editor):
    """Give the NRD's content type of the log to this app (no-op on a fresh database)."""
    content_types = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if content_types.objects.using(db).filter(app_label="audit", model="auditentry").exists():
        return
    content_types.objects.using(db).filter(app_label="nrd", model="auditentry").update(
        app_label="audit"
    )


def _restore_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    content_types.objects.using(db).filter(app_label="audit", model="auditentry").update(
        app_label="nrd"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("nrd", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "at",
                            models.DateTimeField(
                                db_index=True, default=django.utils.timezone.now
                            ),
                        ),
                        ("actor", models.CharField(max_length=150)),
                        ("action", models.CharField(max_length=32)),
                        ("object_type", models.CharField(max_length=64)),
                        ("object_id", models.CharField(max_length=64)),
                        ("summary", models.TextField(blank=True)),
                        ("before", models.JSONField(blank=True, null=True)),
                        ("after", models.JSONField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name": "audit entry",
                        "verbose_name_plural": "audit entries",
                        "db_table": "nrd_auditentry",
                        "ordering": ["at", "id"],
                        "indexes": [
                            models.Index(
                                fields=["object_type", "object_id"],
                                name="nrd_auditen_object__0d6ba4_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_rename_content_type, _restore_content_type),
    ]
