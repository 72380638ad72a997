from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sasaeai.plans import planfile
from sasaeai.plans.models import Plan
from sasaeai.plans.selectors import document_plans, plan_file_data


class Command(BaseCommand):
    help = "Export a plan (or its whole document with --document) as a plan file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("plan_id", type=int)
        parser.add_argument("--document", action="store_true", help="all plans printed in the same document")
        parser.add_argument("-o", "--output", help="write to this file instead of standard output")

    def handle(
        self, *args: Any, plan_id: int, document: bool = False, output: str | None = None, **options: Any
    ) -> None:
        plan = Plan.objects.select_related("council").filter(pk=plan_id).first()
        if plan is None:
            raise CommandError(_("計画 %(id)s が見つかりません。") % {"id": plan_id})
        text = planfile.dump(plan_file_data(document_plans(plan) if document else [plan]))
        if output:
            with open(output, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        else:
            self.stdout.write(text, ending="")
