from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sasaeai.demo.services import DEMO_PASSWORD, DEMO_USERS, demo_usernames_taken_by_others, foreign_councils, load_demo

SHOWN_NAMES = 5  # foreign councils named in the refusal at most


class Command(BaseCommand):
    help = (
        "Load the five source plans and demo logins (safe to run again; --reset reloads the plans). "
        "Refuses a database holding councils the demo did not make unless --allow-foreign-councils."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="delete and reload the demo plans")
        parser.add_argument(
            "--allow-foreign-councils",
            action="store_true",
            help="run even though the database holds councils the demo did not make (they get no demo logins)",
        )

    def handle(self, *args, reset=False, allow_foreign_councils=False, **options):
        self._check_database(allow_foreign_councils)
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
        self.stdout.write(
            "  " + _("住民向けの公開サイト（ログイン不要）: http://127.0.0.1:8000/public/ （計画の内容を公表済み）")
        )
        self.stdout.write("")

    def _check_database(self, allow_foreign_councils):
        """The demo's logins have a published password: never load them into a real installation by mistake."""
        foreign = list(foreign_councils().values_list("name", flat=True)[: SHOWN_NAMES + 1])
        if foreign and not allow_foreign_councils:
            names = "、".join(foreign[:SHOWN_NAMES]) + (_(" ほか") if len(foreign) > SHOWN_NAMES else "")
            raise CommandError(
                _(
                    "このデータベースには、デモが作っていない社協（%(names)s）があります。"
                    "デモのユーザーは誰でも知っているパスワードでログインできるため、本番のデータベースでは"
                    "実行しないでください。デモ用のデータベース（例: DATABASE_URL=sqlite:////tmp/demo.sqlite3）で"
                    "実行するか、承知のうえで --allow-foreign-councils を付けてください"
                    "（その社協にはデモのユーザーの権限を付けません）。何も変更していません。"
                )
                % {"names": names}
            )
        taken = demo_usernames_taken_by_others()
        if taken:
            raise CommandError(
                _(
                    "ユーザー名 %(names)s は、デモが作っていない社協に所属するユーザーが使っています。"
                    "デモはこのユーザーにデモのパスワードと権限を付けてしまうため、実行を中止しました。"
                    "何も変更していません。"
                )
                % {"names": "、".join(taken)}
            )
