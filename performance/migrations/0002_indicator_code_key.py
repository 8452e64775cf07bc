# Codes as the council writes them (issue 11): `code` keeps the code as written and is no longer
# unique on its own; `code_key` (the code as compared) is added here, filled by 0003 and made unique
# by 0004, so existing rows never meet the constraint with an empty key.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('performance', '0001_scorecard'),
    ]

    operations = [
        migrations.AlterField(
            model_name='indicator',
            name='code',
            field=models.CharField(help_text='As the scorecard writes it, e.g. M1, EH3a%, CP6B, M6-QL (val).', max_length=32),
        ),
        migrations.AddField(
            model_name='indicator',
            name='code_key',
            field=models.CharField(default='', editable=False, max_length=96),
            preserve_default=False,
        ),
    ]
