from django.core.management.base import BaseCommand

from sasaeai.demo.services import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Load the five source plans and demo logins (safe to run again; --reset reloads the plans)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="delete and reload the demo plans")

    def handle(self, *args, reset=False, **options):
        loaded = load_demo(reset=reset)
        for plan in loaded:
            self.stdout.write(f"  読み込み: {plan.council.name} / {plan.title}")
        self.stdout.write(self.style.SUCCESS("デモデータの準備ができました。"))
        self.stdout.write("")
        self.stdout.write("  ブラウザで http://127.0.0.1:8000 を開き、次のどれかでログインしてください。")
        for username, display_name, role, councils in DEMO_USERS:
            scope = "、".join(councils) if councils else "5つの社協すべて"
            self.stdout.write(f"    ユーザー名 {username:<9} パスワード {DEMO_PASSWORD}  （{role.label}・{scope}）")
        self.stdout.write("")
