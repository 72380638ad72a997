"""E-mail each owner the progress reports that are due or overdue (run it daily from cron).

Each reminder (user × plan × fiscal year × period × kind) is sent at most once: it is recorded in
``ReminderLog`` in the same transaction as it is sent, so a failed send records nothing and a
second run sends nothing new. The rules are in ``sasaeai/progress/reminders.py``.
"""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sasaeai.core import fiscal
from sasaeai.plans.models import Plan
from sasaeai.progress import reminders as reminders_module
from sasaeai.progress.models import ReminderLog


def render_reminder(reminder) -> tuple[str, str]:
    """(subject, body) of one reminder e-mail."""
    context = {"reminder": reminder}
    rendered = render_to_string("progress/email/reminder_subject.txt", context)
    subject = " ".join(line.strip() for line in rendered.splitlines() if line.strip())
    body = render_to_string("progress/email/reminder_body.txt", context)
    return subject, body


def _kind_label(reminder):
    return str(ReminderLog.Kind(reminder.kind).label)


class Command(BaseCommand):
    help = (
        "E-mail each owner the items whose progress report is due or overdue, once per period "
        "and once after the due date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to compute reminders for, YYYY-MM-DD (default: today)")
        parser.add_argument("--dry-run", action="store_true", help="show what would be sent; send and record nothing")
        parser.add_argument("--plan", type=int, help="only this plan (id)")

    def handle(self, *args, date=None, dry_run=False, plan=None, **options):
        with translation.override(settings.LANGUAGE_CODE):
            self._run(date, dry_run, plan)

    def _day(self, date):
        if not date:
            return timezone.localdate()
        try:
            return dt.date.fromisoformat(date)
        except ValueError:
            raise CommandError(
                _("--date は YYYY-MM-DD の形で指定してください（%(value)s）。") % {"value": date}
            ) from None

    def _plan_is_running(self, plan_id):
        """False (and says why) when the one plan asked for is not being run; an error when it doesn't exist."""
        plan = Plan.objects.filter(pk=plan_id).first()
        if plan is None:
            raise CommandError(_("計画 %(id)s が見つかりません。") % {"id": plan_id})
        if plan.status != Plan.Status.ACTIVE:
            self.stdout.write(
                _("計画 %(id)s「%(title)s」は推進中ではないため、案内を送りません。")
                % {"id": plan.pk, "title": plan.title}
            )
            return False
        return True

    def _run(self, date, dry_run, plan_id):
        day = self._day(date)
        if plan_id is not None and not self._plan_is_running(plan_id):
            return

        all_reminders = reminders_module.reminders_for(day, plan_id=plan_id)
        pending = reminders_module.unsent(all_reminders)
        already = len(all_reminders) - len(pending)
        self.stdout.write(
            _("%(day)s（%(wareki)s）時点の進捗報告の案内") % {"day": day.isoformat(), "wareki": fiscal.format_date(day)}
        )

        sent = skipped_no_email = failed = raced = 0
        for reminder in pending:
            user = reminder.user
            what = _("%(user)s／計画「%(title)s」／%(period)s／%(kind)s（%(count)s 項目）") % {
                "user": user,
                "title": reminder.plan.title,
                "period": reminder.period.label,
                "kind": _kind_label(reminder),
                "count": len(reminder.items),
            }
            if not user.email:
                skipped_no_email += 1
                self.stdout.write(_("送れません（メールアドレスが登録されていません）: %(what)s") % {"what": what})
                continue
            if dry_run:
                sent += 1
                self.stdout.write(_("送信予定: %(what)s <%(email)s>") % {"what": what, "email": user.email})
                continue
            subject, body = render_reminder(reminder)
            message = EmailMessage(subject=subject, body=body, to=[user.email])
            try:
                with transaction.atomic():
                    ReminderLog.objects.create(
                        user=user,
                        plan=reminder.plan,
                        fiscal_year=reminder.fiscal_year,
                        period=reminder.period.number,
                        kind=reminder.kind,
                        item_count=len(reminder.items),
                    )
                    message.send(fail_silently=False)
            except IntegrityError:  # another run recorded it first
                raced += 1
                continue
            except OSError as exc:  # SMTP and socket errors: nothing is recorded, the next run retries
                failed += 1
                self.stderr.write(
                    _("送信に失敗しました（次回もう一度送ります）: %(what)s: %(error)s") % {"what": what, "error": exc}
                )
                continue
            sent += 1
            self.stdout.write(_("送信しました: %(what)s <%(email)s>") % {"what": what, "email": user.email})

        if dry_run:
            summary = _(
                "確認のみ（--dry-run）: 送信予定 %(sent)s 件、送信済みのため省略 %(already)s 件、"
                "メールアドレスがないため送れない %(no_email)s 件。何も送信・記録していません。"
            )
        else:
            summary = _(
                "送信 %(sent)s 件、送信済みのため省略 %(already)s 件、"
                "メールアドレスがないため送れない %(no_email)s 件、失敗 %(failed)s 件。"
            )
        self.stdout.write(
            summary % {"sent": sent, "already": already + raced, "no_email": skipped_no_email, "failed": failed}
        )
        if failed:
            raise CommandError(_("%(n)s 件の案内を送れませんでした。") % {"n": failed})
