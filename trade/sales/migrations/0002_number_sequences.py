"""Database sequences of the gap-tolerant series (PostgreSQL only)."""

from django.db import migrations

from comptoir.numbering import number_sequence_sql

PREFIXES = ("DEV", "CDE", "BL")


def create_sequences(apps, schema_editor):  # noqa: ANN001, ANN201
    if schema_editor.connection.vendor != "postgresql":
        return
    for prefix in PREFIXES:
        schema_editor.execute(number_sequence_sql(prefix))


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]
    operations = [migrations.RunPython(create_sequences, migrations.RunPython.noop)]
