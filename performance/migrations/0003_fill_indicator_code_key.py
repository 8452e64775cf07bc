# Data migration: the key of every existing indicator's code (see 0002).
#
# It uses performance.codes.code_key itself rather than a copy: the key must be exactly the one the
# imports compute, or a values file would miss an indicator loaded before this migration.

from django.db import migrations

from performance.codes import code_key

CLASH = "Indicators {codes} differ only in case or spacing: give them different codes before migrating."


def fill_code_keys(apps, schema_editor):
    Indicator = apps.get_model("performance", "Indicator")
    indicators = list(Indicator.objects.only("pk", "code").order_by("pk"))
    first = {}
    for indicator in indicators:
        indicator.code_key = code_key(indicator.code)
        if indicator.code_key in first:
            raise RuntimeError(CLASH.format(codes=f"{first[indicator.code_key]!r} and {indicator.code!r}"))
        first[indicator.code_key] = indicator.code
    Indicator.objects.bulk_update(indicators, ["code_key"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('performance', '0002_indicator_code_key'),
    ]

    operations = [
        # Going back, 0002 drops the column: nothing to undo here.
        migrations.RunPython(fill_code_keys, migrations.RunPython.noop),
    ]
