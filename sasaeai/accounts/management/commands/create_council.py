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
    help = (
        "Create a council and invite its first admin (社協管理者). Prints the invitation link; never a password. "
        "Without --admin-email the link is for a printed sign-in sheet (one-time code)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True, help="council name (unique)")
        parser.add_argument("--kind", required=True, help="prefecture / municipal / ward / district (or Japanese)")
        parser.add_argument("--parent", help="name of the council above it")
        parser.add_argument("--admin-email", default="", help="the first admin's e-mail (the invitation is sent)")
        parser.add_argument("--admin-name", default="", help="the first admin's name")
        parser.add_argument("--admin-username", default="", help="user name for a sign-in sheet (without e-mail)")

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
