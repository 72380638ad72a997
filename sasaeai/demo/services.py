"""Loads the five source plans (shared/seeds, transcribed in ``plans/``) and demo logins."""

from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from sasaeai.accounts.models import Membership, Role, User
from sasaeai.core.models import Branch, Council
from sasaeai.core.services import council_setup
from sasaeai.plans import planfile
from sasaeai.plans.models import Plan
from sasaeai.plans.services import plan_file_import

DATA_DIR = Path(__file__).parent / "data"
PLANS_DIR = Path(__file__).parent / "plans"
# Plan files in dependency-free order (a file is imported into the council it names).
PLAN_FILES = [
    "kawasaki.yaml",
    "nakahara.yaml",
    "ichinoseki.yaml",
    "kashiwa.yaml",
    "kurashiki.yaml",
    "higashikurume.yaml",
]
DEMO_PASSWORD = "sasaeai-demo"
DEMO_USERS = [
    # username, display name, role, councils (a role in a council applies to its child councils)
    ("demo", "デモ 管理者", Role.ADMIN, None),
    ("editor", "デモ 編集者", Role.EDITOR, None),
    ("leader", "デモ リーダー", Role.LEADER, None),
    ("reporter", "デモ 担当者", Role.REPORTER, None),
    ("viewer", "デモ 閲覧者", Role.VIEWER, None),
    ("committee", "デモ 評価委員", Role.COMMITTEE, None),
    ("nakahara", "中原区 担当者", Role.EDITOR, ["中原区社会福祉協議会"]),
]

COUNCIL_FIELDS = ["postal_code", "address", "phone", "fax", "email", "url"]


def demo_council_names() -> list[str]:
    """The top-level councils of demo/data/councils.yaml (the five source plans' councils)."""
    data = yaml.safe_load((DATA_DIR / "councils.yaml").read_text(encoding="utf-8"))
    return [item["name"] for item in data["councils"]]


def all_demo_council_names() -> set[str]:
    """Every council of demo/data/councils.yaml, at every level (中原区社会福祉協議会 too)."""
    data = yaml.safe_load((DATA_DIR / "councils.yaml").read_text(encoding="utf-8"))
    names: set[str] = set()

    def visit(items):
        for item in items:
            names.add(item["name"])
            visit(item.get("children", []))

    visit(data["councils"])
    return names


def foreign_councils():
    """Councils in the database that the demo did not make (a real council sharing the database)."""
    return Council.objects.exclude(name__in=all_demo_council_names()).order_by("name")


def demo_usernames_taken_by_others():
    """Demo user names that already belong to someone with a role in a council the demo did not make:
    the demo would give them its well-known password (``--reset``) and its councils."""
    names = [username for username, *_rest in DEMO_USERS]
    return sorted(
        User.objects.filter(username__in=names, memberships__council__in=foreign_councils())
        .values_list("username", flat=True)
        .distinct()
    )


def load_councils():
    data = yaml.safe_load((DATA_DIR / "councils.yaml").read_text(encoding="utf-8"))

    def visit(items, parent):
        for item in items:
            council, _ = Council.objects.update_or_create(
                name=item["name"],
                defaults={"kind": item["kind"], "parent": parent, **{f: str(item.get(f, "")) for f in COUNCIL_FIELDS}},
            )
            Branch.objects.filter(council=council).delete()
            Branch.objects.bulk_create(
                Branch(council=council, position=i, **{k: str(v) for k, v in b.items()})
                for i, b in enumerate(item.get("branches", []))
            )
            council_setup(council)
            visit(item.get("children", []), council)

    visit(data["councils"], None)


def plan_file_paths():
    return [PLANS_DIR / name for name in PLAN_FILES]


@transaction.atomic
def load_demo(*, reset=False, stdout=None):
    load_councils()
    loaded = []
    for path in plan_file_paths():
        data = planfile.parse(path.read_bytes(), filename=path.name, max_bytes=settings.SASAEAI_PLAN_FILE_MAX_BYTES)
        council = Council.objects.get(name=data.council)
        titles = [p.title for p in data.plans]
        existing = Plan.objects.filter(council=council, title__in=titles)
        if existing.exists():
            if not reset:
                continue
            existing.delete()
        loaded.extend(plan_file_import(council=council, data=data, by=None, filename=path.name))
    _add_source_indicators()
    # Only the councils the demo itself describes: never a real council that shares the database.
    top_councils = list(Council.objects.filter(parent__isnull=True, name__in=demo_council_names()))
    for username, display_name, role, council_names in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"display_name": display_name, "email": f"{username}@example.invalid"}
        )
        if created or reset:
            user.set_password(DEMO_PASSWORD)
            user.save()
        councils = top_councils if council_names is None else list(Council.objects.filter(name__in=council_names))
        for council in councils:
            Membership.objects.update_or_create(user=user, council=council, defaults={"role": role})
    from .samples import load_samples

    users = {u.username: u for u in User.objects.filter(username__in=["leader", "reporter", "editor"])}
    load_samples(leader=users["leader"], reporter=users["reporter"], editor=users["editor"])
    from sasaeai.participation.demo import load_kurashiki_process

    load_kurashiki_process()
    publish_demo()
    return loaded


# Words the analyser reads wrongly in the source plans, as a council would correct them in its dictionary.
DEMO_READINGS = {
    "倉敷市社会福祉協議会": [
        ("互近助", "ごきんじょ", "「ご近所」にかけた造語（互近助パントリープロジェクト）"),
        ("近助", "きんじょ", "近くの人どうしの助け合い（自助・近助・互助）"),
    ],
}


def publish_demo():
    """Open each council's public site at its slug and publish the plan contents of every adopted plan
    (what a council would publish first). Progress and evaluations here are samples, which never go public."""
    from sasaeai.publishing.models import Publication, PublicSite, ReadingEntry
    from sasaeai.publishing.services import publication_publish

    data = yaml.safe_load((DATA_DIR / "councils.yaml").read_text(encoding="utf-8"))
    slugs: dict[str, str] = {}

    def visit(items):
        for item in items:
            if item.get("public_slug"):
                slugs[item["name"]] = item["public_slug"]
            visit(item.get("children", []))

    visit(data["councils"])
    for council in Council.objects.filter(name__in=slugs):
        PublicSite.objects.update_or_create(council=council, defaults={"slug": slugs[council.name], "is_open": True})
        for surface, reading, note in DEMO_READINGS.get(council.name, []):
            ReadingEntry.objects.get_or_create(
                council=council, surface=surface, defaults={"reading": reading, "note": note}
            )
        for plan in (
            Plan.objects.filter(council=council, nodes__isnull=False).exclude(status=Plan.Status.DRAFTING).distinct()
        ):
            if not Publication.objects.filter(plan=plan, part=Publication.Part.STRUCTURE, is_current=True).exists():
                publication_publish(plan=plan, part=Publication.Part.STRUCTURE, by=None)


# Indicators the source plans state as numeric targets. Only what the printed text says:
# 東久留米市 "市民スタッフ登録者数100人を目指します" names the measure, the unit and the target,
# but no year, so none is set.
SOURCE_INDICATORS = [
    {
        "council": "東久留米市社会福祉協議会",
        "targets_text": "市民スタッフ登録者数100人",
        "indicator": {
            "name": "市民スタッフ登録者数",
            "unit": "人",
            "kind": "quantity",
            "direction": "higher",
            "final_target": 100,
        },
    },
]


def _add_source_indicators():
    from sasaeai.plans.models import PlanNode
    from sasaeai.progress.models import Indicator
    from sasaeai.progress.services import indicator_create

    for spec in SOURCE_INDICATORS:
        node = PlanNode.objects.filter(
            plan__council__name=spec["council"], targets_text__contains=spec["targets_text"]
        ).first()
        if node is None or Indicator.objects.filter(node=node, name=spec["indicator"]["name"]).exists():
            continue
        indicator_create(node=node, by=None, **spec["indicator"])
