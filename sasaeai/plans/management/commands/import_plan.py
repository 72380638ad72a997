from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sasaeai.core.models import Council
from sasaeai.plans import planfile
from sasaeai.plans.services import plan_file_import


class Command(BaseCommand):
    help = "Import a plan file (sasaeai-plan/1) into a council. Nothing is saved if anything is wrong."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--council", help="council name (default: the council named in the file)")

    def handle(self, *args: Any, file: str, council: str | None = None, **options: Any) -> None:
        path = Path(file)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("%(file)s: ファイルを読めません（%(error)s）。") % {"file": file, "error": exc.strerror}
            ) from exc
        try:
            data = planfile.parse(raw, filename=path.name, max_bytes=settings.SASAEAI_PLAN_FILE_MAX_BYTES)
            name = council or data.council
            target = Council.objects.filter(name=name).first()
            if target is None:
                raise CommandError(_("社協「%(name)s」が見つかりません。") % {"name": name})
            if council and data.council != council:
                data.council = council
            plans = plan_file_import(council=target, data=data, by=None, filename=path.name)
        except planfile.PlanFileError as exc:
            raise CommandError(_("取り込みませんでした。") + "\n" + "\n".join(exc.messages())) from exc
        for plan in plans:
            self.stdout.write(
                _("取り込み: %(id)s %(title)s（%(count)s 項目）")
                % {"id": plan.pk, "title": plan.title, "count": plan.nodes.count()}
            )
