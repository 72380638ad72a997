"""TargetChange moves from evaluation to progress: the model enters progress's state over the existing
table, which is then renamed (evaluation_targetchange → progress_targetchange); no row is copied."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("progress", "0004_annualplan_carried_direction_annualplan_carried_from_and_more"),
        ("evaluation", "0003_move_targetchange_to_progress"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="TargetChange",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("fiscal_year", models.PositiveSmallIntegerField(blank=True, help_text="空欄は最終目標値", null=True, verbose_name="年度")),
                        ("old_value", models.DecimalField(blank=True, decimal_places=4, max_digits=16, null=True, verbose_name="変更前")),
                        ("new_value", models.DecimalField(blank=True, decimal_places=4, max_digits=16, null=True, verbose_name="変更後")),
                        ("reason", models.TextField(verbose_name="変更の理由")),
                        ("changed_at", models.DateTimeField(auto_now_add=True)),
                        ("changed_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("indicator", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="target_changes", to="progress.indicator")),
                        ("snapshot", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="evaluation.plansnapshot")),
                    ],
                    options={"ordering": ["indicator", "-changed_at", "-pk"], "db_table": "evaluation_targetchange"},
                ),
            ],
        ),
        migrations.AlterModelTable(name="targetchange", table=None),
    ]
