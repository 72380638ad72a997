"""Role → permission mapping: the one place that says who may do what.

Permissions are named strings; views declare the one they need (``@plan_permission`` and
``@council_permission`` in ``decorators.py``). Code that checks one inside a view, service or
template tag uses a named constant from its app's ``permissions.py`` (``plans.permissions.EDIT``),
made with ``permission()``, which refuses an unknown name when the module is imported; templates
use the ``has_perm_here`` filter, which refuses unknown names too. Rules that depend on the object
(who owns an item) live in the app's ``permissions.py``. The role × action × ownership matrix is
tested in ``accounts/tests/test_permissions.py``.
"""

from __future__ import annotations

from collections.abc import Collection

from .models import Role

# Every permission, with what it allows (documented in docs/permissions.md, checked by a test).
PERMISSIONS: dict[str, str] = {
    "plans.view": "計画・体系図・地域生活課題を見る",
    "plans.export": "計画ファイルを書き出す",
    "plans.create": "計画を新規作成する",
    "plans.edit": "計画と体系（項目・階層名・地域生活課題）を編集する",
    "plans.import": "計画ファイルを取り込む",
    "plans.delete": "計画を削除する",
    "audit.view": "変更履歴（誰がいつ何を変えたか）を見る",
    "councils.manage": "社協の連絡先と支部を編集する",
    "councils.create": "下位の社協をつくり、その最初の社協管理者を招待する",
    "members.manage": "職員・ボランティアを招待し、役割を変え、利用を停止する",
    "accounts.security": "所属する人のログインのロックと2段階認証を解除する",
    "progress.view": "進捗・指標・達成率を見る",
    "progress.manage": "指標・目標値・報告の頻度を設定する",
    "progress.report": "進捗を報告する（状況・実施内容・実績値）— どの項目でも",
    "progress.report_own": "自分の担当の項目の進捗を報告する（リーダーはグループの項目も）",
    "progress.attachments": "進捗報告の添付（写真・資料）を開く・ダウンロードする",
    "evaluation.view": "評価をすべての段階（自己評価・確認を含む）で見る",
    "evaluation.view_internal": "内部評価・外部評価・最終評価を見る（自己評価と確認は見ない）",
    "evaluation.self": "自己評価を入力・確定する — どの事業でも",
    "evaluation.self_own": "自分の担当の事業の自己評価を入力・確定する",
    "evaluation.review": "ワーキンググループ・事務局の確認を入力・確定する — どの事業でも",
    "evaluation.review_own": "自分のワーキンググループの事業の確認を入力・確定する",
    "evaluation.internal": "内部評価（理事会への報告）を入力・確定する",
    "evaluation.external": "外部評価（評価委員会）を入力・確定する",
    "evaluation.opinion": "評価委員会の総評・答申を入力する",
    "evaluation.final": "最終評価を入力・確定する",
    "evaluation.reopen": "確定した評価を理由を記録して差し戻す",
    "evaluation.settings": "評価の尺度・方向性・観点を設定する",
    "evaluation.close_year": "年度を締めて次年度の年次計画へ引き継ぐ",
    "evaluation.midterm": "中間評価の記録（計画の写し）を作る",
    "evaluation.export": "評価シート・報告書（Excel・PDF・Word・CSV）を書き出す",
    "participation.view": "策定の記録（工程・アンケートの集計・意見・懇談会・委員会）を見る",
    "participation.manage": "アンケート・意見・懇談会・委員会・策定の工程を編集し、回答を取り込む",
    "participation.comments": "パブリックコメントを整理・回答・公表する（意見を出した人の氏名・連絡先を見る）",
    "participation.materials": "委員会の資料をダウンロードする",
    "publishing.publish": (
        "計画・進捗・評価・総評を住民に公表し、取り下げる（公開前の確認、ふりがな辞書、やさしい日本語）"
    ),
    "publishing.settings": "公開サイトのアドレス・公開の有無・オープンデータのライセンスを設定する",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(PERMISSIONS)
    - {
        "progress.report_own",
        "evaluation.self_own",
        "evaluation.review_own",
        "evaluation.view_internal",
    },
    Role.EDITOR: frozenset(
        {
            "plans.view",
            "plans.export",
            "plans.create",
            "plans.edit",
            "plans.import",
            "audit.view",
            "progress.view",
            "progress.manage",
            "progress.report",
            "progress.attachments",
            "evaluation.view",
            "evaluation.self",
            "evaluation.review",
            "evaluation.internal",
            "evaluation.final",
            "evaluation.close_year",
            "evaluation.midterm",
            "evaluation.export",
            "participation.view",
            "participation.manage",
            "participation.comments",
            "participation.materials",
            "publishing.publish",
        }
    ),
    Role.LEADER: frozenset(
        {
            "plans.view",
            "plans.export",
            "progress.view",
            "progress.report_own",
            "progress.attachments",
            "evaluation.view",
            "evaluation.self_own",
            "evaluation.review_own",
            "evaluation.export",
            "participation.view",
            "participation.materials",
        }
    ),
    Role.REPORTER: frozenset(
        {"plans.view", "progress.view", "progress.report_own", "progress.attachments"}
        | {"evaluation.view", "evaluation.self_own"}
    ),
    Role.VIEWER: frozenset(
        {"plans.view", "plans.export", "progress.view", "progress.attachments", "evaluation.view", "evaluation.export"}
        | {"participation.view", "participation.materials"}
    ),
    # 評価委員: reads the plan, progress and the internal evaluation; enters the external evaluation
    # and the committee's 答申. Nothing else: no downloads (attachments, materials, survey workbook), no names.
    Role.COMMITTEE: frozenset(
        {
            "plans.view",
            "progress.view",
            "evaluation.view_internal",
            "evaluation.external",
            "evaluation.opinion",
            "participation.view",
        }
    ),
}


def permission(name: str) -> str:
    """``name``, checked: raises ``ValueError`` for a name that is not in ``PERMISSIONS``.

    Each app names the permissions it checks once, at import time: ``EDIT = permission("plans.edit")``.
    """
    if name not in PERMISSIONS:
        raise ValueError(f"unknown permission {name!r}")
    return name


def holds(perms: Collection[str] | None, name: str) -> bool:
    """Whether ``perms`` (a user's permissions in one council) include ``name`` (checked)."""
    return permission(name) in (perms or ())


def role_has(role: str, name: str) -> bool:
    return permission(name) in ROLE_PERMISSIONS.get(role, frozenset())


# The permissions of accounts' own screens (the members of a council).
MEMBERS_MANAGE = permission("members.manage")


def grantable_roles(perms: Collection[str] | None) -> list[str]:
    """The roles someone holding ``perms`` in a council may give there (invite, change a role).

    Whoever may manage members there may give every role, 社協管理者 included; nobody else gives any.
    """
    return list(Role.values) if holds(perms, MEMBERS_MANAGE) else []
