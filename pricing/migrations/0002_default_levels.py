from django.db import migrations

FRENCH_DEFAULTS = [
    (1, "Remise de base"),
    (2, "Remise quantitative"),
    (3, "Remise enseigne/contrat"),
    (4, "Remise promotionnelle"),
    (5, "Remise logistique"),
    (6, "Remise complémentaire"),
]


def create_default_levels(apps, schema_editor):
    DiscountLevel = apps.get_model("pricing", "DiscountLevel")
    for number, label in FRENCH_DEFAULTS:
        DiscountLevel.objects.get_or_create(number=number, defaults={"label": label, "order": number})


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_initial")]

    operations = [migrations.RunPython(create_default_levels, migrations.RunPython.noop)]
