from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sasaeai.accounts.services.members import council_create_with_admin
from sasaeai.core.models import Council


def _kind(value: str) -> str:
    """A kind given as its code (municipal) or its Japanese name (市区町村社協)."""
    for code, label in Council.Kind.choices:
        if value in (code, str(label)):
            return code
    names = "、".join(f"{code}（{label}）" for code, label in Council.Kind.choices)
    raise CommandError(_("種別「%(kind)s」はありません。使える種別: %(names)s") % {"kind": value, "names": names})


class Command(BaseCommand):
    help = _(
        "社協をつくり、最初の社協管理者を招待します。招待のリンクを表示します（パスワードは表示しません）。"
        "--admin-email がないときは、ログイン用紙（一度だけ使えるコード）のためのリンクです。"
        "種別は、上位の社協より下にしてください（都道府県社協 ＞ 市区町村社協 ＞ 区社協 ＞ 地区社協）。"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True, help=_("社協の名称（ほかの社協と重ならないもの）"))
        parser.add_argument(
            "--kind", required=True, help=_("種別: prefecture / municipal / ward / district（日本語の種別名でも可）")
        )
        parser.add_argument("--parent", help=_("上位の社協の名称"))
        parser.add_argument(
            "--admin-email", default="", help=_("最初の社協管理者のメールアドレス（招待のメールを送ります）")
        )
        parser.add_argument("--admin-name", default="", help=_("最初の社協管理者の氏名"))
        parser.add_argument(
            "--admin-username", default="", help=_("ログイン用紙のユーザー名（メールがないとき。空なら自動）")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = _kind(options["kind"])
        parent = None
        if options.get("parent"):
            parent = Council.objects.filter(name=options["parent"]).first()
            if parent is None:
                raise CommandError(_("上位の社協「%(name)s」が見つかりません。") % {"name": options["parent"]})
        if not options["admin_email"] and not options["admin_name"]:
            raise CommandError(
                _(
                    "--admin-email（最初の社協管理者のメールアドレス）か、"
                    "メールがないときは --admin-name を指定してください。"
                )
            )
        try:
            issued = council_create_with_admin(
                name=options["name"],
                kind=kind,
                parent=parent,
                by=None,
                admin_email=options["admin_email"],
                admin_name=options["admin_name"],
                admin_username=options["admin_username"],
            )
        except ValidationError as exc:
            raise CommandError(_("社協をつくりませんでした。") + "\n" + "\n".join(exc.messages)) from exc
        invitation = issued.invitation
        self.stdout.write(_("社協「%(name)s」をつくりました。") % {"name": invitation.council.name})
        if invitation.email:
            self.stdout.write(
                _("最初の社協管理者 %(email)s に招待のメールを送りました。招待のリンク:") % {"email": invitation.email}
            )
        else:
            self.stdout.write(
                _("最初の社協管理者（ユーザー名 %(username)s）の招待のリンク（一度だけ使えます）:")
                % {"username": invitation.username}
            )
        self.stdout.write(issued.url)
