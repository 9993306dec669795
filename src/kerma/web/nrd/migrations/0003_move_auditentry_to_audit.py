"""The audit log now belongs to the ``audit`` app: the NRD forgets its model, keeps the table.

State only (``SeparateDatabaseAndState`` with no database operation): the table
``nrd_auditentry`` and every row in it stay, now read through ``audit.AuditEntry``.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("nrd", "0002_evaluation_source"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry")],
            database_operations=[],
        ),
    ]
