"""Writes of the public site: its settings, publishing and withdrawing, and the ふりがな dictionary.

Every write is one transaction with one audit entry, and bumps the site's ``version`` so the cached public
pages of the council are rebuilt (``selectors.cache_key``).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sasaeai.accounts.models import User
from sasaeai.core import audit, fiscal
from sasaeai.core.models import Council
from sasaeai.plans.models import Plan

from . import furigana, selectors, snapshot
from .models import RESERVED_SLUGS, Publication, PublicSite, ReadingEntry


def site_bump(council: Council) -> None:
    """The council's public pages changed: their cached copies are stale."""
    PublicSite.objects.filter(council=council).update(version=F("version") + 1)
    selectors.site_forget(*PublicSite.objects.filter(council=council).values_list("slug", flat=True))


def _site_values(site: PublicSite) -> dict[str, Any]:
    return {
        "公開アドレス": site.slug,
        "公開サイトを開く": "はい" if site.is_open else "いいえ",
        "紹介文": site.introduction,
        "ライセンス": str(site.get_licence_display()),
    }


SLUG_MIN, SLUG_MAX = 2, 60


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot be a public address (in Japanese, every problem at once), or None."""
    problems = []
    if len(slug) < SLUG_MIN:
        problems.append(_("公開アドレスが短すぎます。2文字以上にしてください。"))
    if len(slug) > SLUG_MAX:
        problems.append(_("公開アドレスが長すぎます。60文字以内にしてください（いまは%(n)d文字）。") % {"n": len(slug)})
    if any("A" <= c <= "Z" for c in slug):
        problems.append(_("大文字は使えません。半角の英小文字にしてください（例: Kurashiki → kurashiki）。"))
    bad = sorted({c for c in slug if not re.fullmatch(r"[a-zA-Z0-9-]", c)}, key=slug.index)
    if bad:
        shown = "、".join(_("空白") if c.isspace() else f"「{c}」" for c in bad)
        problems.append(
            _(
                "公開アドレスに使えない文字があります: %(chars)s。"
                "半角の英小文字・数字・ハイフン（-）だけにしてください。"
            )
            % {"chars": shown}
        )
    if slug.startswith("-") or slug.endswith("-"):
        problems.append(_("公開アドレスの先頭と末尾にはハイフン（-）を使えません。"))
    if slug in RESERVED_SLUGS:
        problems.append(_("「%(slug)s」はこのサイトが使う名前なので使えません。") % {"slug": slug})
    return " ".join(problems) or None


def site_update(
    *, council: Council, slug: str, is_open: bool, introduction: str = "", licence: str = "", by: User
) -> PublicSite:
    """Create or change the council's public site. A slug that is taken or reserved is a form error."""
    slug = (slug or "").strip().lower()
    with transaction.atomic():
        site = PublicSite.objects.select_for_update().filter(council=council).first()
        before = _site_values(site) if site else {}
        if site is None:
            site = PublicSite(council=council)
        site.slug, site.is_open, site.introduction = slug, is_open, introduction
        if licence:
            site.licence = licence
        problem = slug_problem(slug)
        if problem:
            raise ValidationError({"slug": problem})
        if PublicSite.objects.filter(slug=slug).exclude(council=council).exists():
            raise ValidationError(
                {"slug": _("「%(slug)s」はほかの社協が使っています。別の名前にしてください。") % {"slug": slug}}
            )
        site.full_clean(exclude=["council"])
        site.version = (site.version or 0) + 1
        site.save()
        selectors.site_forget(site.slug, str(before.get("公開アドレス", "")))
        after = _site_values(site)
        b, a = audit.diff(before, after)
        if b or a:  # saving the form unchanged records nothing
            audit.log_action(
                council=council, actor=by, action="publishing.site", target_label=site.slug, before=b, after=a
            )
    return site


def _part_label(part: str, fiscal_year: int) -> str:
    label = str(Publication.Part(part).label)
    return f"{fiscal.format_fiscal_year(fiscal_year)} {label}" if fiscal_year else label


def publication_check(*, plan: Plan, part: str, fiscal_year: int) -> None:
    """Why this part of this plan cannot be published (``ValidationError`` in Japanese), or nothing."""
    if part not in Publication.Part.values:
        raise ValidationError(_("公表する内容を選んでください。"))
    if plan.status == Plan.Status.DRAFTING:
        raise ValidationError(
            _("策定中の計画は公表できません。案を住民に見てもらうときは、パブリックコメントで公開してください。")
        )
    if part == Publication.Part.STRUCTURE:
        if fiscal_year:
            raise ValidationError(_("計画の内容は年度ごとではなく、計画全体で公表します。"))
        return
    if plan.period_start is None or not (plan.period_start <= fiscal_year <= (plan.period_end or plan.period_start)):
        raise ValidationError(_("年度は計画期間の中から選んでください。"))
    if not Publication.objects.filter(plan=plan, part=Publication.Part.STRUCTURE, is_current=True).exists():
        raise ValidationError(
            _("先に「計画の内容」を公表してください。進捗や評価は、計画の内容といっしょに読まれます。")
        )
    if part == Publication.Part.OPINION:
        from sasaeai.evaluation.models import CommitteeOpinion

        if not CommitteeOpinion.objects.filter(plan=plan, fiscal_year=fiscal_year, is_submitted=True).exists():
            raise ValidationError(_("この年度の評価委員会の総評はまだ確定していません。確定してから公表してください。"))


def publication_preview(*, plan: Plan, part: str, fiscal_year: int = 0) -> Publication:
    """An unsaved publication built from the live data now: exactly what publishing would freeze."""
    publication_check(plan=plan, part=part, fiscal_year=fiscal_year)
    data = snapshot.build(plan, part, fiscal_year)
    return Publication(
        council=plan.council,
        plan=plan,
        part=part,
        fiscal_year=fiscal_year,
        data=data,
        readings=furigana.readings_for(plan.council_id, [data, plan.council.name]),
        published_at=timezone.now(),
    )


def publication_publish(*, plan: Plan, part: str, fiscal_year: int = 0, note: str = "", by: User | None) -> Publication:
    """Freeze this part of the plan as it is now and show it to residents, replacing the one shown before.

    Publishing twice at once (a double click, two people) ends with the later one current: when another
    publication became current between our replace and our insert (``publication_one_current``), the whole
    step is done again once, and a second clash is a Japanese message, never a 500."""
    for attempt in (1, 2):
        try:
            return _publish_once(plan=plan, part=part, fiscal_year=fiscal_year, note=note, by=by)
        except IntegrityError:
            if attempt == 2:
                raise ValidationError(
                    _("ほかの人が同時に公表しました。公表の状況を確かめてから、もう一度お試しください。")
                ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _publish_once(*, plan: Plan, part: str, fiscal_year: int, note: str, by: User | None) -> Publication:
    with transaction.atomic():
        Plan.objects.select_for_update().filter(pk=plan.pk).first()
        publication = publication_preview(plan=plan, part=part, fiscal_year=fiscal_year)
        previous = Publication.objects.filter(plan=plan, part=part, fiscal_year=fiscal_year, is_current=True)
        replaced = previous.update(is_current=False)
        publication.note = (note or "").strip()
        publication.published_by = by
        publication.save()
        site_bump(plan.council)
        audit.log_action(
            council=plan.council,
            actor=by,
            action="publishing.publish",
            plan_id=plan.pk,
            target_label=f"{plan.title} — {_part_label(part, fiscal_year)}",
            after={
                "公表した内容": _part_label(part, fiscal_year),
                "以前の公表を置き換え": "はい" if replaced else "いいえ",
            }
            | ({"メモ": publication.note} if publication.note else {}),
            obj=publication,
        )
    return publication


def publication_withdraw(*, publication: Publication, reason: str, by: User) -> Publication:
    """Take a publication off the public site. Its copy is kept (history); nothing earlier comes back."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("取り下げる理由を書いてください（変更履歴に残ります）。")})
    with transaction.atomic():
        locked = Publication.objects.select_for_update().get(pk=publication.pk)
        if not locked.is_current:
            raise ValidationError(_("この公表はすでに取り下げられているか、新しい公表に置き換えられています。"))
        locked.is_current = False
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = by
        locked.withdraw_reason = reason
        locked.save(update_fields=["is_current", "withdrawn_at", "withdrawn_by", "withdraw_reason"])
        site_bump(locked.council)
        audit.log_action(
            council=locked.council,
            actor=by,
            action="publishing.withdraw",
            plan_id=locked.plan_id,
            target_label=f"{locked.plan.title} — {_part_label(locked.part, locked.fiscal_year)}",
            before={"公表": "公開中"},
            after={"公表": "取り下げ", "理由": reason},
            obj=locked,
        )
    return locked


def readings_refresh(*, council: Council) -> int:
    """Recompute the readings of the council's current publications (after its dictionary changed)."""
    count = 0
    for publication in Publication.objects.filter(council=council, is_current=True):
        publication.readings = furigana.readings_for(council.pk, [publication.data, council.name])
        publication.save(update_fields=["readings"])
        count += 1
    site_bump(council)
    return count


def reading_entry_save(
    *, council: Council, surface: str, reading: str, note: str = "", entry: ReadingEntry | None = None, by: User
) -> ReadingEntry:
    """Add or correct a word of the council's ふりがな dictionary; the published readings follow at once."""
    with transaction.atomic():
        before = {"語": entry.surface, "読み": entry.reading} if entry else {}
        entry = entry or ReadingEntry(council=council)
        entry.surface, entry.reading, entry.note = surface.strip(), furigana.normalise_reading(reading), note.strip()
        entry.full_clean(exclude=["council"], validate_unique=False)
        if ReadingEntry.objects.filter(council=council, surface=entry.surface).exclude(pk=entry.pk).exists():
            raise ValidationError({"surface": _("「%(word)s」はもう辞書にあります。") % {"word": entry.surface}})
        entry.save()
        b, a = audit.diff(before, {"語": entry.surface, "読み": entry.reading})
        audit.log_action(
            council=council, actor=by, action="publishing.reading", target_label=entry.surface, before=b, after=a
        )
        readings_refresh(council=council)
    return entry


def reading_entry_delete(*, entry: ReadingEntry, by: User) -> None:
    with transaction.atomic():
        council = entry.council
        audit.log_action(
            council=council,
            actor=by,
            action="publishing.reading_delete",
            target_label=entry.surface,
            before={"語": entry.surface, "読み": entry.reading},
        )
        entry.delete()
        readings_refresh(council=council)
