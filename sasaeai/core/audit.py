"""Explicit audit logging (pretix ``log_action``, Decidim traceability).

Services call :func:`log_action` inside their transaction, so an entry exists exactly when the
change it describes was committed.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model

from .models import AuditEntry, Council

if TYPE_CHECKING:
    from sasaeai.accounts.models import User

# Who an entry names when no signed-in person made the change (a manage.py command, a scheduled job).
SYSTEM_ACTOR_NAME = "システム（コマンド・自動処理）"

# Human-readable labels of audit actions, shown in the history pages.
ACTION_LABELS = {
    "council.create": "社協を作成",
    "council.update": "社協の連絡先・支部を編集",
    "member.invite": "メンバーを招待",
    "member.reissue": "招待を送り直し・ログイン用紙を再発行",
    "member.revoke": "招待を取り消し",
    "member.join": "招待を受けて参加",
    "member.role": "メンバーの役割を変更",
    "member.suspend": "メンバーの利用を停止",
    "member.restore": "メンバーの利用を再開",
    "member.reset_sheet": "パスワード再設定のログイン用紙を発行",
    "member.reset_password": "ログイン用紙でパスワードを決め直し",
    "indicator.create": "指標を追加",
    "indicator.update": "指標・目標値を編集",
    "indicator.delete": "指標を削除",
    "schedule.update": "報告の頻度・締切を変更",
    "report.create": "進捗を報告",
    "report.update": "進捗報告を更新",
    "working_group.save": "ワーキンググループを保存",
    "working_group.delete": "ワーキンググループを削除",
    "meeting.save": "推進会議の記録を保存",
    "meeting.delete": "推進会議の記録を削除",
    "annual_plan.save": "年次計画を保存",
    "audit.restore": "以前の値に戻す",
    "statuses.update": "状況（進捗の段階）の一覧を変更",
    "report.attachment_add": "進捗報告に添付",
    "report.attachment_delete": "進捗報告の添付を削除",
    "plan.create": "計画を作成",
    "plan.update": "計画を編集",
    "plan.import": "計画ファイルを取り込み",
    "plan.delete": "計画を削除",
    "plan.levels_update": "階層名を変更",
    "node.create": "項目を追加",
    "node.update": "項目を編集",
    "node.move": "項目を移動",
    "node.reorder": "項目の順序を変更",
    "node.priority": "重点の設定を変更",
    "node.delete": "項目を削除",
    "node.issues": "対応する地域生活課題を変更",
    "issue.create": "地域生活課題を追加",
    "issue.update": "地域生活課題を編集",
    "issue.delete": "地域生活課題を削除",
    "evaluation.settings": "評価の尺度・方向性・観点を変更",
    "evaluation.save": "評価を入力",
    "evaluation.submit": "評価を確定",
    "evaluation.reopen": "確定した評価を差し戻し",
    "evaluation.opinion": "評価委員会の総評・答申を入力",
    "year.close": "年度を締めて次年度へ引き継ぎ",
    "snapshot.create": "計画の写し（中間評価など）を作成",
    "target.change": "中間見直しで目標値を変更",
    "plan.next_generation": "前計画から次期計画を作成",
    "formulation.steps": "策定の工程を編集",
    "questionnaire.save": "アンケート（様式）を保存",
    "questionnaire.delete": "アンケートを削除",
    "questionnaire.status": "アンケートの受付状態を変更",
    "responses.import": "アンケートの回答を取り込み",
    "responses.delete": "アンケートの回答を削除",
    "tag.save": "タグを保存",
    "voice.save": "意見を保存",
    "voice.delete": "意見を削除",
    "voice.link": "意見と地域生活課題・項目を結び付け",
    "session.save": "懇談会・ヒアリングを保存",
    "session.delete": "懇談会・ヒアリングを削除",
    "comment_period.save": "パブリックコメントの募集を保存",
    "comment.update": "パブリックコメントを整理・回答",
    "comment_period.publish": "パブリックコメントの結果を公表",
    "committee.save": "委員会を保存",
    "committee.delete": "委員会を削除",
    "committee.members": "委員会の委員を変更",
    "committee_meeting.save": "委員会の会議を保存",
    "committee_meeting.delete": "委員会の会議を削除",
    "committee_meeting.material": "委員会の資料を追加・削除",
    "account.update": "アカウントの表示名を変更",
    "account.password": "パスワードを変更",
    "account.email": "メールアドレスを変更",
    "account.sign_out_everywhere": "すべての端末からログアウト",
    "account.unlock": "ログインのロックを解除",
    "account.two_factor": "2段階認証の設定を変更",
    "account.two_factor_reset": "管理者が2段階認証をリセット",
    "publishing.site": "公開サイトの設定を変更",
    "publishing.publish": "住民に公表",
    "publishing.withdraw": "公表を取り下げ",
    "publishing.reading": "ふりがな辞書の語を登録・修正",
    "publishing.reading_delete": "ふりがな辞書の語を削除",
}


# Actions whose "before" values can be put back from the history page (progress.services.audit_restore).
RESTORABLE_ACTIONS = frozenset({"indicator.update", "report.update"})


def audit_entry(
    *,
    council: Council,
    actor: User | AnonymousUser | None,
    action: str,
    plan_id: int | None = None,
    node_id: int | None = None,
    target_label: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    obj: Model | None = None,
) -> AuditEntry:
    """An unsaved entry (for bulk writes); ``log_action`` saves one at once."""
    if action not in ACTION_LABELS:
        raise ValueError(f"unknown audit action {action!r}")
    person = actor if actor is not None and not isinstance(actor, AnonymousUser) and actor.pk else None
    return AuditEntry(
        council=council,
        actor=person,
        actor_name=person.get_username() if person is not None else SYSTEM_ACTOR_NAME,
        action=action,
        plan_id=plan_id,
        node_id=node_id,
        target_label=str(target_label)[:300],
        before=before,
        after=after,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
    )


def log_action(**kwargs: Any) -> AuditEntry:
    entry = audit_entry(**kwargs)
    entry.save()
    return entry


def iso_date(value: date | None) -> str:
    """A date as an audit snapshot keeps it: ISO text, or "" when there is none."""
    return value.isoformat() if value else ""


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after) dicts."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
