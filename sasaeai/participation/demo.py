"""倉敷市's real formulation process, as its summary edition (概要版) states it, for the demo.

Only what the document says is recorded, and it is NOT marked サンプル: the survey (2,000
distributed, 943 returned, 47.2%), eight 住民ふくし談笑会 (215 participants in total), hearings of
groups in four fields, a 21-member 策定委員会 meeting four times from 令和7年5月 to 10月, the public
comment on the draft, and the finished plan (令和8年3月). Where the document gives only a month, the
first of the month is recorded; what it does not give (names, per-session figures, most dates) is
left empty. See docs/source-plans.md, "倉敷市: the formulation process".

A few example voices are generated to show the traceability screens: they are marked ``is_sample``
and shown as サンプル. Running this again creates nothing twice.
"""

from datetime import date

from django.db import transaction

from sasaeai.core.models import Council
from sasaeai.plans.models import CommunityIssue, Plan

from .models import Committee, CommitteeMeeting, EngagementSession, FormulationStep, Questionnaire, Voice
from .services import committees as committee_services
from .services import voices as voice_services

COUNCIL = "倉敷市社会福祉協議会"
PLAN = "第4次倉敷市地域福祉活動計画"

SURVEY_TEXT = (
    "倉敷市在住の16歳以上の市民から無作為で抽出し、943名の方に回答をいただきました。（2,000件配布・回収率47.2％）"
)
WORKSHOP_TEXT = (
    "倉敷市における地域の実情や日々感じている暮らしの課題や一人ひとりが願う暮らし方について意見交換を行いました。"
    "（全８回開催・延べ参加者数215名）"
)
HEARING_TEXT = "地域福祉活動に関わる団体（介護・児童福祉・障がい者福祉・子育て支援）からヒアリングを行いました。"
MIDTERM_TEXT = (
    "第3次地域福祉活動計画の中間評価委員会を設置し、"
    "計画の評価と第4次計画に反映させる取り組みについての提言を受けました。"
)
COMMITTEE_TEXT = (
    "地域福祉に関わる21名の委員とともに令和7年5月から10月にかけて計4回の策定委員会を開催し、"
    "計画策定の協議を重ねました。"
)
COMMENT_TEXT = "策定委員会が取りまとめた計画素案に対し、パブリックコメントの募集を実施しました。"
ISSUES_TEXT = "第4次地域福祉活動計画策定に向け、本計画に反映させるべき地域生活課題を11の項目に整理しました。"

STEPS = [
    {
        "name": "現状把握・課題の抽出",
        "start_date": None,
        "end_date": None,
        "description": "\n".join(
            [f"アンケート: {SURVEY_TEXT}", f"住民ふくし談笑会: {WORKSHOP_TEXT}", f"団体ヒアリング: {HEARING_TEXT}"]
        ),
        "outputs": f"解決を目指す11の課題（{ISSUES_TEXT}）",
    },
    # Dated by the 策定委員会 (令和7年5月〜10月), the only dates the document gives for this step.
    {
        "name": "計画策定に向けた協議",
        "start_date": date(2025, 5, 1),
        "end_date": date(2025, 10, 1),
        "description": "\n".join(
            [f"中間評価委員会の設置と今後の提言: {MIDTERM_TEXT}", f"計画策定委員会の設置と協議: {COMMITTEE_TEXT}"]
        ),
        "outputs": "計画素案（策定委員会が取りまとめ）",
    },
    {
        "name": "パブリックコメントの実施",
        "start_date": None,
        "end_date": None,
        "description": COMMENT_TEXT,
        "outputs": "",
    },
    # 策定年月 令和８年3月.
    {
        "name": "計画の完成",
        "start_date": date(2026, 3, 1),
        "end_date": None,
        "description": "第4次倉敷市地域福祉活動計画（令和8年度〜令和12年度）",
        "outputs": "計画書・概要版（策定年月 令和8年3月）",
    },
]

SURVEY = {
    "title": "アンケート",
    "audience": "倉敷市在住の16歳以上の市民（無作為抽出）",
    "description": SURVEY_TEXT,
    "distributed": 2000,
    "returned": 943,
}
WORKSHOPS = 8
WORKSHOP_PARTICIPANTS = 215
HEARING_FIELDS = ["介護", "児童福祉", "障がい者福祉", "子育て支援"]
COMMITTEE_NAME = "地域福祉活動計画策定委員会"
COMMITTEE_MEMBERS = 21
# (number, held_on, note). 令和7年5月 to 10月, 4 meetings: the first in May, the last in October.
NO_DATE = "開催日は計画書に記載がありません（令和7年5月から10月にかけて計4回）。"
# (number, held_on, date_note, minutes)
MEETINGS = [
    (
        1,
        date(2025, 5, 1),
        "令和7年5月",
        "計画書の記載は「令和7年5月から」のみで、日は記載がありません（月の初日で記録）。",
    ),
    (2, None, "令和7年5月〜10月の間", NO_DATE),
    (3, None, "令和7年5月〜10月の間", NO_DATE),
    (
        4,
        date(2025, 10, 1),
        "令和7年10月",
        "計画書の記載は「10月にかけて」のみで、日は記載がありません（月の初日で記録）。",
    ),
]

# Generated examples (サンプル) to show the chain voice → 地域生活課題; issue 09 is left without voices.
SAMPLE_VOICES = [
    (
        "workshop",
        "70代・女性",
        "近所にどんな人が住んでいるのか分からなくなった。あいさつをする機会も減っている。",
        ["01"],
    ),
    ("workshop", "30代・女性", "子ども会がなくなり、地域の行事も少なくなった。", ["02"]),
    ("workshop", "60代・男性", "町内会の役員が高齢になっていて、引き継ぐ人が見つからない。", ["03"]),
    ("workshop", "60代・男性", "退職してから地域で何かしたいが、どこに行けばよいか分からない。", ["04"]),
    ("hearing", "子育て支援団体", "福祉は自分には関係ないと思っている人が多いように感じる。", ["05"]),
    ("workshop", "40代・女性", "回覧板やチラシだけでは、若い世代に情報が届かない。", ["06"]),
    ("hearing", "介護事業所", "介護と子育てが重なっている家庭があり、相談先がばらばらで困っている。", ["07"]),
    ("hearing", "障がい者福祉の団体", "関係機関どうしで情報を共有する場がもっとあるとよい。", ["08"]),
    ("workshop", "80代・女性", "ごみ出しや電球の交換など、ちょっとしたことを頼める人がいない。", ["10"]),
    ("workshop", "70代・男性", "災害のときに、一人暮らしの高齢者を誰が助けに行くのか決まっていない。", ["11"]),
    ("hearing", "児童福祉の団体", "子どもから高齢者まで、気軽に集まれる居場所がほしい。", ["01", "04"]),
]


@transaction.atomic
def load_kurashiki_process():
    """Record 倉敷市's formulation process for its plan. Idempotent; returns the plan (None if absent)."""
    council = Council.objects.filter(name=COUNCIL).first()
    plan = Plan.objects.filter(council=council, title=PLAN).first() if council else None
    if plan is None:
        return None
    if not FormulationStep.objects.filter(plan=plan).exists():
        voice_services.formulation_steps_save(plan=plan, by=None, rows=[dict(s, id=None) for s in STEPS])
    _survey(council, plan)
    if not EngagementSession.objects.filter(plan=plan).exists():
        # The document gives the number of sessions and the total of participants, not each session.
        voice_services.session_save(
            plan=plan,
            by=None,
            kind=EngagementSession.Kind.WORKSHOP,
            title="住民ふくし談笑会（全8回）",
            occurrences=WORKSHOPS,
            participants=WORKSHOP_PARTICIPANTS,
            notes="計画書には回ごとの日付・会場・参加者数の記載がありません。全８回の延べ参加者数は215名です。",
        )
        for field in HEARING_FIELDS:
            voice_services.session_save(
                plan=plan,
                by=None,
                kind=EngagementSession.Kind.HEARING,
                title=f"団体ヒアリング（{field}）",
                field=field,
                notes=HEARING_TEXT + "計画書には団体名・日付の記載がありません。",
            )
    _committee(council, plan)
    _sample_voices(plan)
    _sample_survey(council, plan)
    return plan


def _survey(council, plan):
    survey = Questionnaire.objects.filter(
        council=council, kind=Questionnaire.Kind.SURVEY, title=SURVEY["title"], is_sample=False
    ).first()
    if survey is None:
        Questionnaire.objects.create(
            council=council, plan=plan, kind=Questionnaire.Kind.SURVEY, status=Questionnaire.Status.CLOSED, **SURVEY
        )
    elif survey.plan_id != plan.pk:  # the plan was reloaded (demo --reset)
        survey.plan = plan
        survey.save(update_fields=["plan"])


def _committee(council, plan):
    committee = Committee.objects.filter(council=council, name=COMMITTEE_NAME, kind=Committee.Kind.FORMULATION).first()
    if committee is None:
        committee = committee_services.committee_save(
            council=council, by=None, kind=Committee.Kind.FORMULATION, name=COMMITTEE_NAME, plan=plan
        )
    elif committee.plan_id != plan.pk:
        committee = committee_services.committee_save(council=council, by=None, committee=committee, plan=plan)
    if not committee.members.exists():
        # The document gives the number of members, not their names.
        committee_services.committee_members_save(
            committee=committee,
            by=None,
            rows=[
                {"id": None, "name": f"委員{n}", "affiliation": "", "category": "other", "role": "member", "user": None}
                for n in range(1, COMMITTEE_MEMBERS + 1)
            ],
        )
    if not CommitteeMeeting.objects.filter(committee=committee).exists():
        for number, held_on, date_note, note in MEETINGS:
            committee_services.committee_meeting_save(
                committee=committee, by=None, number=number, held_on=held_on, date_note=date_note, minutes=note
            )


def _sample_voices(plan):
    if Voice.objects.filter(plan=plan, is_sample=True).exists():
        return
    issues = {i.code: i for i in CommunityIssue.objects.filter(plan=plan)}
    for source, speaker, text, codes in SAMPLE_VOICES:
        voice_services.voice_save(
            plan=plan,
            by=None,
            source=source,
            speaker=speaker,
            text=text,
            is_sample=True,
            issues=[issues[c] for c in codes if c in issues],
        )


# A made-up questionnaire with made-up answers (サンプル), so the tabulation screens have something to
# show. The real survey above has only its recorded counts: its answers are not in the document.
SAMPLE_SURVEY_TITLE = "（サンプル）暮らしと地域についてのアンケート"
SAMPLE_QUESTIONS = [
    # code, text, kind, is_attribute, choices
    ("年代", "あなたの年代", "single", True, ["10・20代", "30代", "40代", "50代", "60代", "70代以上"]),
    ("性別", "あなたの性別", "single", True, ["女性", "男性", "回答しない"]),
    ("地区", "お住まいの地区", "single", True, ["倉敷", "水島", "児島", "玉島", "真備"]),
    (
        "Q1",
        "近所の人とどの程度つきあいがありますか",
        "single",
        False,
        ["よく話をする", "あいさつをする程度", "ほとんどつきあいはない"],
    ),
    (
        "Q2",
        "暮らしの中で困っていること（いくつでも）",
        "multiple",
        False,
        ["買い物", "通院", "ごみ出し", "話し相手がいない", "災害時の避難", "特にない"],
    ),
    ("Q3", "地域の活動に参加したいと思いますか（1 思わない〜5 とても思う）", "scale", False, []),
    ("Q4", "地域福祉について、ご意見をご自由にお書きください", "text", False, []),
]
SAMPLE_FREE_ANSWERS = [
    "近くに集まれる場所がほしい。",
    "免許を返納した後の買い物が心配です。",
    "若い人が参加しやすい活動があるとよい。",
    "",
    "",
    "",
]


def _sample_survey(council, plan):
    import random

    from .models import Choice, Question, Response

    existing = Questionnaire.objects.filter(council=council, title=SAMPLE_SURVEY_TITLE).first()
    if existing is not None:
        if existing.plan_id != plan.pk:  # the plan was reloaded (demo --reset)
            Questionnaire.objects.filter(pk=existing.pk).update(plan=plan)
        return
    survey = Questionnaire.objects.create(
        council=council,
        plan=plan,
        kind=Questionnaire.Kind.SURVEY,
        title=SAMPLE_SURVEY_TITLE,
        is_sample=True,
        status=Questionnaire.Status.CLOSED,
        distributed=500,
        description="デモ用の架空のアンケートです。設問も回答も実際のものではありません。",
    )
    for position, (code, text, kind, attribute, labels) in enumerate(SAMPLE_QUESTIONS):
        question = Question.objects.create(
            questionnaire=survey,
            position=position,
            code=code,
            text=text,
            kind=kind,
            is_attribute=attribute,
            scale_min=1 if kind == "scale" else None,
            scale_max=5 if kind == "scale" else None,
        )
        Choice.objects.bulk_create(
            Choice(question=question, position=i, code=str(i + 1), label=label) for i, label in enumerate(labels)
        )
    rng = random.Random(SAMPLE_SURVEY_TITLE)
    rows = []
    for n in range(1, 301):
        age = rng.choices(range(1, 7), weights=[1, 2, 2, 3, 4, 5])[0]
        answers = {
            "年代": str(age),
            "性別": str(rng.choices([1, 2, 3], weights=[6, 5, 1])[0]),
            "地区": str(rng.randint(1, 5)),
            "Q1": str(rng.choices([1, 2, 3], weights=[age, 6, 7 - age])[0]),
            "Q2": sorted({str(rng.randint(1, 5)) for _ in range(rng.randint(1, 3))}) if rng.random() < 0.8 else ["6"],
            "Q3": str(rng.randint(1, 5)),
        }
        free = rng.choice(SAMPLE_FREE_ANSWERS)
        if free:
            answers["Q4"] = free
        rows.append(Response(questionnaire=survey, respondent=f"S{n:04d}", answers=answers, is_sample=True))
    Response.objects.bulk_create(rows)
    Questionnaire.objects.filter(pk=survey.pk).update(data_version=1)
