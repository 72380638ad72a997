from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from sasaeai.demo.services import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Load the five source plans and demo logins (safe to run again; --reset reloads the plans)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="delete and reload the demo plans")

    def handle(self, *args, reset=False, **options):
        loaded = load_demo(reset=reset)
        for plan in loaded:
            self.stdout.write(
                "  " + _("読み込み: %(council)s / %(title)s") % {"council": plan.council.name, "title": plan.title}
            )
        self.stdout.write(self.style.SUCCESS(_("デモデータの準備ができました。")))
        self.stdout.write("")
        self.stdout.write("  " + _("ブラウザで http://127.0.0.1:8000 を開き、次のどれかでログインしてください。"))
        for username, _display_name, role, councils in DEMO_USERS:
            scope = "、".join(councils) if councils else _("5つの社協すべて")
            self.stdout.write(
                "    "
                + _("ユーザー名 %(username)s パスワード %(password)s  （%(role)s・%(scope)s）")
                % {"username": f"{username:<9}", "password": DEMO_PASSWORD, "role": role.label, "scope": scope}
            )
        self.stdout.write("")
