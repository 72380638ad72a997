"""ふりがな for a published 2,000-node plan: ``furigana.readings_for`` over a structure snapshot whose every node has a
title, a summary, a description, a desired state and actions of the community and of the council, all different
texts (no help from the de-duplication). Timed cold (the analyser loaded, its per-text cache empty), as a
publication or a dictionary change computes them; then again with the council's dictionary, from the cache."""

import random
import time

from bench.common import run_alone

NODES = 2000

PLACES = [
    "玖珠町",
    "東久留米市",
    "日出町",
    "杵築市",
    "豊後高田市",
    "倉敷市",
    "八王子市",
    "世田谷区",
    "中標津町",
    "美郷町",
]
WHO = [
    "高齢者",
    "障がいのある人",
    "子育て世帯",
    "一人暮らし高齢者",
    "生活困窮者",
    "外国籍住民",
    "若者",
    "ひきこもりの人",
]
WHAT = [
    "地域福祉活動",
    "見守り活動",
    "居場所づくり",
    "ふれあい・いきいきサロン",
    "子ども食堂",
    "災害時の支え合い",
    "生活支援体制整備事業",
    "権利擁護の取り組み",
    "ボランティア活動",
    "小地域ネットワーク活動",
]
BY = ["民生委員・児童委員", "愛育委員", "地区社会福祉協議会", "自治会", "老人クラブ", "社会福祉協議会", "ＮＰＯ法人"]
VERB = ["を広げます", "を進めます", "を支えます", "に取り組みます", "を充実させます", "を推進します", "を見直します"]


def sentence(rng, n):
    return (
        f"{rng.choice(PLACES)}の{rng.choice(WHO)}が安心して暮らせるよう、{rng.choice(BY)}と連携して"
        f"{rng.choice(WHAT)}{rng.choice(VERB)}（令和{n % 9 + 1}年度までに{n % 40 + 1}か所）。"
    )


def snapshot(nodes=NODES, seed=1):
    rng = random.Random(seed)
    data = {
        "plan": {"title": "第3次地域福祉活動計画", "vision": "だれもが支え合い、安心して暮らせるまち"},
        "nodes": [],
    }
    for n in range(nodes):
        data["nodes"].append(
            {
                "id": n,
                "level": rng.choice(["基本目標", "推進目標", "推進事業", "事業細目"]),
                "code": str(n),
                "title": f"【重点】{rng.choice(WHO)}の{rng.choice(WHAT)}{rng.choice(VERB)}（{n}）",
                "summary": sentence(rng, n),
                "description": sentence(rng, n + 1) + "\n" + sentence(rng, n + 2),
                "desired_state": f"{rng.choice(WHO)}が地域でつながり、役割を持って暮らしている（{n}）",
                "plain_summary": "",
                "actions": {
                    "community": [{"text": sentence(rng, n + 3), "examples": [], "steps": []}],
                    "council": [{"text": sentence(rng, n + 4), "examples": [], "steps": []}],
                },
            }
        )
    return data


def run(report):
    from sasaeai.core.services import council_create
    from sasaeai.publishing import furigana
    from sasaeai.publishing.models import ReadingEntry

    data = snapshot()
    texts = {t for t in furigana._strings(data) if furigana.has_kanji(t)}
    chars = sum(map(len, texts))
    print(f"# ふりがな: {NODES} nodes, {len(texts):,} texts with kanji, {chars:,} characters", flush=True)

    start = time.perf_counter()
    furigana._analyser()
    report("furigana_analyser_load", time.perf_counter() - start, "s")

    council = council_create(name="ベンチふりがな町社会福祉協議会")
    furigana._analyse_cached.cache_clear()
    furigana._align.cache_clear()
    start, cpu = time.perf_counter(), time.process_time()
    readings = furigana.readings_for(council.pk, data)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert len(readings) == len(texts)
    report("furigana_2000_nodes", seconds, "s")
    report("furigana_2000_nodes_cpu", cpu, "s")  # the same, in CPU time: steadier on a busy machine

    ReadingEntry.objects.bulk_create(
        [
            ReadingEntry(council=council, surface="玖珠町", reading="くすまち"),
            ReadingEntry(council=council, surface="愛育委員", reading="あいいくいいん"),
            ReadingEntry(council=council, surface="東久留米", reading="ひがしくるめ"),
        ]
    )
    start = time.perf_counter()
    furigana.readings_for(council.pk, data)
    report("furigana_2000_nodes_dictionary_warm", time.perf_counter() - start, "s")


if __name__ == "__main__":
    run_alone(run, "sasaeai-bench-furigana-")
