"""Councils get their status scale when they are created; those created before get it now (pages no
longer create it when read)."""

from django.db import migrations

# The defaults as they were when this migration was written (progress.services.DEFAULT_STATUSES).
STATUSES = [("未着手", "#6e7781", 0), ("遅れ", "#cf222e", 25), ("やや遅れ", "#9a6700", 50), ("順調", "#1a7f37", 75),
            ("完了", "#0969da", 100)]


def set_up(apps, schema_editor):
    Council = apps.get_model("core", "Council")
    ProgressStatus = apps.get_model("progress", "ProgressStatus")
    for council in Council.objects.all():
        if not ProgressStatus.objects.filter(council=council).exists():
            ProgressStatus.objects.bulk_create(ProgressStatus(council=council, position=i, name=n, color=c, score=s)
                                               for i, (n, c, s) in enumerate(STATUSES))


class Migration(migrations.Migration):
    dependencies = [("progress", "0005_targetchange")]
    operations = [migrations.RunPython(set_up, migrations.RunPython.noop)]
