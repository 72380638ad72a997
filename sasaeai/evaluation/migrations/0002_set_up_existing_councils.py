"""Councils created before evaluation settings were made at council creation get them now (the
pages no longer create them when read)."""

from django.db import migrations

# The defaults as they were when this migration was written (evaluation.services SCALE_PRESETS["abcd"]
# and DEFAULT_DIRECTIONS); a migration keeps its own copy so that later changes do not rewrite history.
SCALE_NAME = "A〜D"
GRADES = [
    ("A", "達成し特筆すべき点あり", 100, "#0969da"),
    ("B", "達成", 75, "#1a7f37"),
    ("C", "達成したが改善要", 50, "#9a6700"),
    ("D", "改善要", 0, "#cf222e"),
]
DIRECTIONS = [("拡充", "attention"), ("継続", "carry"), ("見直し", "attention"), ("縮小", "carry"),
              ("廃止", "stop"), ("完了", "stop")]


def set_up(apps, schema_editor):
    Council = apps.get_model("core", "Council")
    EvaluationScale = apps.get_model("evaluation", "EvaluationScale")
    Grade = apps.get_model("evaluation", "Grade")
    Direction = apps.get_model("evaluation", "Direction")
    for council in Council.objects.all():
        if not EvaluationScale.objects.filter(council=council).exists():
            scale = EvaluationScale.objects.create(council=council, name=SCALE_NAME)
            Grade.objects.bulk_create(Grade(scale=scale, position=i, code=c, label=label, score=s, color=col)
                                      for i, (c, label, s, col) in enumerate(GRADES))
        if not Direction.objects.filter(council=council).exists():
            Direction.objects.bulk_create(Direction(council=council, position=i, name=n, carry=c)
                                          for i, (n, c) in enumerate(DIRECTIONS))


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial"), ("core", "0003_auditentry_object_id_auditentry_object_type")]
    operations = [migrations.RunPython(set_up, migrations.RunPython.noop)]
