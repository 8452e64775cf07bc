from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_theme_month_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="revision",
            field=models.PositiveIntegerField(default=1),
        ),
    ]
