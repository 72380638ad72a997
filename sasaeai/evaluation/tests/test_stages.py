"""Evaluation stages: order, locks, who may enter which stage, reopening, the committee, closing a year."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sasaeai.core.models import AuditEntry
from sasaeai.evaluation import selectors, services
from sasaeai.evaluation.models import Direction, Evaluation, Grade, StageEntry, YearClosing
from sasaeai.progress.models import AnnualPlan, WorkingGroup


def projects(plan):
    return list(plan.nodes.filter(parent__isnull=False).order_by("pk"))


def grade(code):
    """A grade of council a (set up first by the fixture)."""
    return Grade.objects.get(scale__council__name="テスト市社会福祉協議会", code=code)


def direction(name):
    return Direction.objects.get(council__name="テスト市社会福祉協議会", name=name)


def walk(node, users, *, final_direction="継続", improvements="担い手を増やす", year=2026):
    """Every stage by the people who enter it, to the final evaluation."""
    admin = users["admin"]
    services.stage_save(
        node=node,
        fiscal_year=year,
        stage="self",
        by=admin,
        submit=True,
        grade=grade("B"),
        results="参加者が増えた",
        challenges="担い手不足",
        improvements=improvements,
        direction=direction("継続"),
    )
    services.stage_save(
        node=node,
        fiscal_year=year,
        stage="review",
        by=users["editor"],
        submit=True,
        grade=grade("B"),
        improvements=improvements,
        direction=direction("継続"),
    )
    services.stage_save(
        node=node,
        fiscal_year=year,
        stage="internal",
        by=users["editor"],
        submit=True,
        grade=grade("C"),
        improvements=improvements,
        direction=direction("見直し"),
    )
    services.stage_save(
        node=node,
        fiscal_year=year,
        stage="external",
        by=users["committee"],
        submit=True,
        grade=grade("C"),
        comment="地域との連携を強めること",
    )
    return services.stage_save(
        node=node,
        fiscal_year=year,
        stage="final",
        by=admin,
        submit=True,
        grade=grade("C"),
        improvements=improvements,
        direction=direction(final_direction),
    )


def test_a_project_goes_through_every_stage_in_order(evaluated_plan, users):
    node = projects(evaluated_plan)[0]
    final = walk(node, users)
    entries = {e.stage: e for e in StageEntry.objects.filter(evaluation__node=node)}
    assert list(entries) == ["self", "review", "internal", "external", "final"]
    assert all(e.is_submitted for e in entries.values())
    assert entries["external"].submitted_by == users["committee"]
    assert final.grade.code == "C" and final.direction.name == "継続"
    row = selectors.project_evaluation(evaluated_plan, node, 2026, perms={"evaluation.view"})
    assert row.current.stage == "final" and row.next_stage is None
    actions = list(AuditEntry.objects.filter(node_id=node.pk).values_list("action", flat=True))
    assert actions.count("evaluation.submit") == 5


def test_a_stage_waits_for_the_one_before(evaluated_plan, users):
    node = projects(evaluated_plan)[0]
    with pytest.raises(ValidationError, match="自己評価が確定していない"):
        services.stage_save(node=node, fiscal_year=2026, stage="review", by=users["editor"], grade=grade("B"))
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], grade=grade("B"))  # draft
    with pytest.raises(ValidationError, match="自己評価が確定していない"):
        services.stage_save(node=node, fiscal_year=2026, stage="review", by=users["editor"], grade=grade("B"))
    assert not StageEntry.objects.filter(stage="review").exists()


def test_a_submitted_stage_is_locked(evaluated_plan, users):
    node = projects(evaluated_plan)[0]
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], submit=True, grade=grade("A"))
    with pytest.raises(ValidationError, match="確定済み"):
        services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], grade=grade("D"))
    assert StageEntry.objects.get(stage="self").grade.code == "A"


def test_submitting_needs_a_grade_and_for_internal_a_direction(evaluated_plan, users):
    node = projects(evaluated_plan)[0]
    with pytest.raises(ValidationError) as exc:
        services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], submit=True)
    assert "grade" in exc.value.error_dict
    assert not StageEntry.objects.exists()
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], submit=True, grade=grade("A"))
    services.stage_save(node=node, fiscal_year=2026, stage="review", by=users["editor"], submit=True, grade=grade("A"))
    with pytest.raises(ValidationError) as exc:
        services.stage_save(
            node=node, fiscal_year=2026, stage="internal", by=users["editor"], submit=True, grade=grade("A")
        )
    assert "direction" in exc.value.error_dict


def test_grades_outside_the_council_scale_are_refused(evaluated_plan, users, councils):
    node = projects(evaluated_plan)[0]
    services.evaluation_setup(councils["b"])
    foreign = Grade.objects.filter(scale__council=councils["b"]).first()
    for bad in (foreign, foreign.pk, 999999, "A"):
        with pytest.raises(ValidationError, match="この社協の尺度"):
            services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], grade=bad)
    services.criteria_update(council=councils["a"], by=users["admin"], rows=[{"name": "必要性"}])
    criterion = selectors.criteria_for(councils["a"])[0]
    with pytest.raises(ValidationError, match="尺度にありません"):
        services.stage_save(
            node=node,
            fiscal_year=2026,
            stage="self",
            by=users["editor"],
            grade=grade("A"),
            criteria={str(criterion.pk): "Z"},
        )
    with pytest.raises(ValidationError, match="この社協にない観点"):
        services.stage_save(
            node=node,
            fiscal_year=2026,
            stage="self",
            by=users["editor"],
            grade=grade("A"),
            criteria={str(criterion.pk + 100): "A"},
        )
    services.stage_save(
        node=node,
        fiscal_year=2026,
        stage="self",
        by=users["editor"],
        grade=grade("A"),
        criteria={str(criterion.pk): "B"},
    )
    assert StageEntry.objects.get().criteria == {str(criterion.pk): "B"}
    StageEntry.objects.all().delete()
    assert not StageEntry.objects.exists()


def test_who_may_enter_which_stage(evaluated_plan, users):
    node = projects(evaluated_plan)[0]
    # Reporters self-evaluate only what they own.
    with pytest.raises(PermissionDenied):
        services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["reporter"], grade=grade("B"))
    annual = AnnualPlan.objects.get(node=node, fiscal_year=2026)
    annual.owners.add(users["reporter"])
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["reporter"], submit=True, grade=grade("B"))
    # A leader reviews only the projects of their working group.
    with pytest.raises(PermissionDenied):
        services.stage_save(node=node, fiscal_year=2026, stage="review", by=users["leader"], grade=grade("B"))
    WorkingGroup.objects.filter(nodes=node.parent).update(leader=users["leader"])
    services.stage_save(node=node, fiscal_year=2026, stage="review", by=users["leader"], submit=True, grade=grade("B"))
    # The committee cannot enter the internal evaluation; a viewer enters nothing.
    for who in ("committee", "viewer", "reporter", "leader"):
        with pytest.raises(PermissionDenied):
            services.stage_save(
                node=node,
                fiscal_year=2026,
                stage="internal",
                by=users[who],
                grade=grade("A"),
                direction=direction("継続"),
            )
    services.stage_save(
        node=node,
        fiscal_year=2026,
        stage="internal",
        by=users["editor"],
        submit=True,
        grade=grade("B"),
        direction=direction("継続"),
    )
    # Only the committee (and the council admin) enter the external evaluation.
    with pytest.raises(PermissionDenied):
        services.stage_save(node=node, fiscal_year=2026, stage="external", by=users["editor"], grade=grade("A"))
    services.stage_save(node=node, fiscal_year=2026, stage="external", by=users["committee"], grade=grade("A"))
    with pytest.raises(PermissionDenied):
        services.stage_save(node=node, fiscal_year=2026, stage="external", by=users["outsider"], grade=grade("A"))


def test_committee_members_read_only_internal_external_and_final(evaluated_plan, users):
    node = projects(evaluated_plan)[0]
    walk(node, users)
    committee = selectors.project_evaluation(evaluated_plan, node, 2026, perms={"evaluation.view_internal"})
    assert set(committee.entries) == {"internal", "external", "final"}
    staff = selectors.project_evaluation(evaluated_plan, node, 2026, perms={"evaluation.view"})
    assert set(staff.entries) == {"self", "review", "internal", "external", "final"}


def test_only_an_admin_reopens_with_a_reason_and_later_stages_first(evaluated_plan, users):
    node = projects(evaluated_plan)[0]
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], submit=True, grade=grade("B"))
    services.stage_save(node=node, fiscal_year=2026, stage="review", by=users["editor"], submit=True, grade=grade("B"))
    with pytest.raises(PermissionDenied):
        services.stage_reopen(node=node, fiscal_year=2026, stage="self", by=users["editor"], reason="誤り")
    with pytest.raises(ValidationError, match="理由"):
        services.stage_reopen(node=node, fiscal_year=2026, stage="review", by=users["admin"], reason="  ")
    with pytest.raises(ValidationError, match="後の段階"):
        services.stage_reopen(node=node, fiscal_year=2026, stage="self", by=users["admin"], reason="誤り")
    assert StageEntry.objects.get(stage="self").is_submitted
    services.stage_reopen(node=node, fiscal_year=2026, stage="review", by=users["admin"], reason="実績値の誤り")
    entry = StageEntry.objects.get(stage="review")
    assert not entry.is_submitted and entry.submitted_at is None
    log = AuditEntry.objects.filter(action="evaluation.reopen").get()
    assert log.after["reason"] == "実績値の誤り" and log.actor == users["admin"]
    services.stage_save(node=node, fiscal_year=2026, stage="review", by=users["editor"], submit=True, grade=grade("C"))
    assert StageEntry.objects.get(stage="review").grade.code == "C"


def test_reopening_an_unknown_stage_is_refused_in_japanese(evaluated_plan, users):
    # Before, the "not submitted" message built a Stage from the bad value and raised ValueError (a 500).
    node = projects(evaluated_plan)[0]
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], submit=True, grade=grade("B"))
    with pytest.raises(ValidationError, match="評価の段階が正しくありません"):
        services.stage_reopen(node=node, fiscal_year=2026, stage="bogus", by=users["admin"], reason="誤り")
    assert StageEntry.objects.get(stage="self").is_submitted
    assert not AuditEntry.objects.filter(action="evaluation.reopen").exists()


def test_a_stale_form_does_not_overwrite_a_newer_save(evaluated_plan, users):
    from sasaeai.core.concurrency import ConcurrentEditError

    node = projects(evaluated_plan)[0]
    first = services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], comment="一回目")
    services.stage_save(
        node=node, fiscal_year=2026, stage="self", by=users["admin"], comment="二回目", expected_version=first.version
    )
    with pytest.raises(ConcurrentEditError):
        services.stage_save(
            node=node,
            fiscal_year=2026,
            stage="self",
            by=users["editor"],
            comment="古い画面から",
            expected_version=first.version,
        )
    assert StageEntry.objects.get(stage="self").comment == "二回目"


def test_only_projects_and_years_of_the_plan_are_evaluated(evaluated_plan, users):
    goal = evaluated_plan.nodes.filter(parent__isnull=True).first()
    with pytest.raises(ValidationError, match="いちばん下の項目"):
        services.stage_save(node=goal, fiscal_year=2026, stage="self", by=users["editor"], grade=grade("A"))
    node = projects(evaluated_plan)[0]
    with pytest.raises(ValidationError, match="計画期間の外"):
        services.stage_save(node=node, fiscal_year=2040, stage="self", by=users["editor"], grade=grade("A"))
    with pytest.raises(ValidationError, match="上半期の評価はありません"):
        services.stage_save(node=node, fiscal_year=2026, period=1, stage="self", by=users["editor"], grade=grade("A"))
    assert not Evaluation.objects.exists()


def test_the_committee_writes_the_opinion_and_nobody_else(evaluated_plan, users):
    with pytest.raises(PermissionDenied):
        services.opinion_save(plan=evaluated_plan, fiscal_year=2026, by=users["editor"], text="総評")
    with pytest.raises(ValidationError):
        services.opinion_save(plan=evaluated_plan, fiscal_year=2026, by=users["committee"], text="  ")
    services.opinion_save(
        plan=evaluated_plan, fiscal_year=2026, by=users["committee"], text="おおむね順調", submit=True
    )
    with pytest.raises(ValidationError, match="確定済み"):
        services.opinion_save(plan=evaluated_plan, fiscal_year=2026, by=users["committee"], text="書き換え")
    assert selectors.opinion_for(evaluated_plan, 2026).text == "おおむね順調"


# --------------------------------------------------------------------------- closing a year


def test_closing_a_year_carries_projects_by_their_direction(evaluated_plan, users):
    plan = evaluated_plan
    p = projects(plan)
    AnnualPlan.objects.filter(node__plan=plan, fiscal_year=2027).delete()
    this_year = AnnualPlan.objects.get(node=p[0], fiscal_year=2026)
    this_year.content, this_year.months, this_year.budget = "サロンを月1回開く", [4, 5, 6], Decimal(50000)
    this_year.save()
    this_year.owners.add(users["reporter"])
    walk(p[0], users, final_direction="拡充", improvements="男性の参加を呼びかける")
    walk(p[1], users, final_direction="廃止")
    walk(p[2], users, final_direction="完了")
    walk(p[3], users, final_direction="継続", improvements="")
    closing = services.year_close(plan=plan, fiscal_year=2026, by=users["editor"])
    assert closing.summary | {} == closing.summary
    assert closing.summary["stopped"] == 2 and closing.summary["attention"] == 1
    assert closing.summary["unevaluated"] == 2 and closing.summary["carried"] == 4
    nxt = {a.node_id: a for a in AnnualPlan.objects.filter(node__plan=plan, fiscal_year=2027)}
    assert p[1].pk not in nxt and p[2].pk not in nxt
    expanded = nxt[p[0].pk]
    assert expanded.needs_attention and expanded.carried_direction == "拡充"
    assert expanded.improvements == "男性の参加を呼びかける"
    assert expanded.content == "サロンを月1回開く" and expanded.months == [4, 5, 6] and expanded.budget == 50000
    assert list(expanded.owners.all()) == [users["reporter"]]
    assert expanded.carried_from == this_year
    assert not nxt[p[3].pk].needs_attention and nxt[p[3].pk].carried_direction == "継続"
    assert not nxt[p[4].pk].needs_attention and nxt[p[4].pk].carried_direction == ""  # not evaluated: 継続


def test_a_year_is_closed_once_and_then_nothing_of_it_changes(evaluated_plan, users):
    plan = evaluated_plan
    node = projects(plan)[0]
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], grade=grade("B"))
    services.year_close(plan=plan, fiscal_year=2026, by=users["editor"])
    count = AnnualPlan.objects.count()
    with pytest.raises(ValidationError, match="二度"):
        services.year_close(plan=plan, fiscal_year=2026, by=users["admin"])
    assert AnnualPlan.objects.count() == count and YearClosing.objects.count() == 1
    with pytest.raises(ValidationError, match="締められています"):
        services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], grade=grade("A"))
    assert StageEntry.objects.get().grade.code == "B"
    with pytest.raises(ValidationError, match="締められています"):
        services.opinion_save(plan=plan, fiscal_year=2026, by=users["committee"], text="遅い総評")
    with pytest.raises(PermissionDenied):
        services.year_close(plan=plan, fiscal_year=2027, by=users["viewer"])


def test_a_next_year_plan_someone_already_wrote_is_kept(evaluated_plan, users):
    plan = evaluated_plan
    node = projects(plan)[0]
    mine = AnnualPlan.objects.get(node=node, fiscal_year=2027)
    mine.content = "すでに書いた次年度の計画"
    mine.save()
    walk(node, users, final_direction="見直し", improvements="実施方法を見直す")
    services.year_close(plan=plan, fiscal_year=2026, by=users["editor"])
    mine.refresh_from_db()
    assert mine.content == "すでに書いた次年度の計画"
    assert mine.needs_attention and mine.improvements == "実施方法を見直す"
    assert AnnualPlan.objects.filter(node=node, fiscal_year=2027).count() == 1


def test_closing_the_last_year_carries_nothing_forward(evaluated_plan, users):
    closing = services.year_close(plan=evaluated_plan, fiscal_year=2030, by=users["editor"])
    assert closing.summary["next_year"] is None and closing.summary["carried"] == 0
    assert not AnnualPlan.objects.filter(fiscal_year=2031).exists()


# --------------------------------------------------------------------------- the council's lists


def test_presets_and_the_councils_own_scale(evaluated_plan, users, councils):
    council = councils["a"]
    services.scale_apply_preset(council=council, by=users["admin"], preset="five")
    assert [g.code for g in selectors.grades_for(council)] == ["5", "4", "3", "2", "1"]
    assert selectors.grades_for(council)[4].label == "全く実施できていない"
    services.scale_apply_preset(council=council, by=users["admin"], preset="marks")
    assert [g.code for g in selectors.grades_for(council)] == ["○", "△", "×"]
    rows = [{"id": g.pk, "code": g.code, "label": g.label, "score": g.score} for g in selectors.grades_for(council)]
    rows[0]["label"] = "よくできた"
    rows.reverse()
    services.scale_update(council=council, by=users["admin"], name="独自の尺度", rows=rows)
    grades = selectors.grades_for(council)
    assert [g.code for g in grades] == ["×", "△", "○"] and grades[2].label == "よくできた"


def test_a_grade_in_use_cannot_be_removed_and_duplicates_are_refused(evaluated_plan, users, councils):
    council = councils["a"]
    node = projects(evaluated_plan)[0]
    services.stage_save(node=node, fiscal_year=2026, stage="self", by=users["editor"], grade=grade("D"))
    rows = [{"id": g.pk, "code": g.code, "label": g.label, "score": g.score} for g in selectors.grades_for(council)]
    with pytest.raises(ValidationError, match="使われている段階は削除できません: D"):
        services.scale_update(council=council, by=users["admin"], name="A〜D", rows=rows[:3])
    with pytest.raises(ValidationError, match="切り替えられません"):
        services.scale_apply_preset(council=council, by=users["admin"], preset="five")
    with pytest.raises(ValidationError, match="同じ記号"):
        services.scale_update(council=council, by=users["admin"], name="A〜D", rows=[*rows, {"code": "A", "score": 1}])
    assert len(selectors.grades_for(council)) == 4


def test_directions_are_the_councils_own(evaluated_plan, users, councils):
    council = councils["a"]
    rows = [{"id": d.pk, "name": d.name, "carry": d.carry} for d in selectors.directions_for(council)]
    rows.append({"name": "統合", "carry": "stop"})
    services.directions_update(council=council, by=users["admin"], rows=rows)
    assert selectors.directions_for(council)[-1].name == "統合"
    with pytest.raises(ValidationError, match="同じ名称"):
        services.directions_update(council=council, by=users["admin"], rows=[*rows, {"name": "継続", "carry": "carry"}])


def test_node_figures_match_plan_figures(evaluated_plan):
    """The project page computes one project's figures itself; they must equal the plan-wide ones."""
    from sasaeai.progress.selectors import plan_figures

    _tree, figures = plan_figures(evaluated_plan, 2027)
    checked = 0
    for node in projects(evaluated_plan):
        mine = selectors.node_figures(node, 2027)
        theirs = figures[node.pk]
        assert mine.achievement == theirs.achievement and mine.achievement is not None
        assert mine.progress == theirs.progress
        assert [(i.indicator.pk, i.target, i.actual, i.rate) for i in mine.indicators] == [
            (i.indicator.pk, i.target, i.actual, i.rate) for i in theirs.indicators
        ]
        checked += 1
    assert checked == 6
