"""Role → permission mapping: the one place that says who may do what.

Permissions are named strings; views declare the one they need (``@plan_permission`` and
``@council_permission`` in ``decorators.py``)
and the role × action matrix is tested in ``accounts/tests/test_permissions.py``.
"""
from .models import Role

# Every permission, with what it allows (documented in docs/permissions.md, checked by a test).
PERMISSIONS = {
    "plans.view": "計画・体系図・地域生活課題を見る",
    "plans.export": "計画ファイルを書き出す",
    "plans.create": "計画を新規作成する",
    "plans.edit": "計画と体系（項目・階層名・地域生活課題）を編集する",
    "plans.import": "計画ファイルを取り込む",
    "plans.delete": "計画を削除する",
    "audit.view": "変更履歴（誰がいつ何を変えたか）を見る",
    "councils.manage": "社協の連絡先と支部を編集する",
    "progress.view": "進捗・指標・達成率を見る",
    "progress.manage": "指標・目標値・報告の頻度を設定する",
    "progress.report": "進捗を報告する（状況・実施内容・実績値）— どの項目でも",
    "progress.report_own": "自分の担当の項目の進捗を報告する（リーダーはグループの項目も）",
}

ROLE_PERMISSIONS = {
    Role.ADMIN: frozenset(PERMISSIONS) - {"progress.report_own"},
    Role.EDITOR: frozenset({
        "plans.view", "plans.export", "plans.create", "plans.edit", "plans.import", "audit.view",
        "progress.view", "progress.manage", "progress.report",
    }),
    Role.LEADER: frozenset({"plans.view", "plans.export", "progress.view", "progress.report_own"}),
    Role.REPORTER: frozenset({"plans.view", "progress.view", "progress.report_own"}),
    Role.VIEWER: frozenset({"plans.view", "plans.export", "progress.view"}),
}


def role_has(role, permission):
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
