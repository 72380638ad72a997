from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sasaeai.core.models import Council
from sasaeai.plans import planfile
from sasaeai.plans.services import plan_file_import


class Command(BaseCommand):
    help = "Import a plan file (sasaeai-plan/1) into a council. Nothing is saved if anything is wrong."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--council", help="council name (default: the council named in the file)")

    def handle(self, *args, file, council=None, **options):
        path = Path(file)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: ファイルを読めません（{exc.strerror}）。")
        try:
            data = planfile.parse(raw, filename=path.name, max_bytes=settings.SASAEAI_PLAN_FILE_MAX_BYTES)
            name = council or data.council
            target = Council.objects.filter(name=name).first()
            if target is None:
                raise CommandError(f"社協「{name}」が見つかりません。")
            if council and data.council != council:
                data.council = council
            plans = plan_file_import(council=target, data=data, by=None, filename=path.name)
        except planfile.PlanFileError as exc:
            raise CommandError("取り込みませんでした。\n" + "\n".join(exc.messages()))
        for plan in plans:
            self.stdout.write(f"取り込み: {plan.pk} {plan.title}（{plan.nodes.count()} 項目）")
