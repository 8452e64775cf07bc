# Every indicator now has its key (0003): no two may share one.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('performance', '0003_fill_indicator_code_key'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='indicator',
            constraint=models.UniqueConstraint('code_key', name='indicator_code_key_unique'),
        ),
    ]
