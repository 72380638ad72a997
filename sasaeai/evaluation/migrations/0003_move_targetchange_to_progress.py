"""TargetChange belongs to progress (targets are progress's); only the state moves here, the table is
renamed by progress 0005."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0002_set_up_existing_councils")]
    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="TargetChange")]),
    ]
