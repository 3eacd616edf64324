import random

import numpy as np
import pytest

import textintel
from textintel import duplicates, index_documents
from textintel.duplicates import DELTA_FOLD, Base, DuplicateIndex
from textintel.normalize import bigram_tokens
from textintel.tests.textgen import MessageGenerator, edited_copy, traditional

pytestmark = pytest.mark.django_db

ORIGINAL = "幸福小区3号楼楼下的烧烤店每天晚上油烟很大，噪音扰民到凌晨两点，老人孩子都睡不着，希望城管部门尽快处理。"


@pytest.fixture
def stored():
    """200 varied messages and one we will look for, all Simplified."""
    gen = MessageGenerator(3)
    docs = [(i, m["text"]) for i, m in enumerate(gen.messages(200), start=1)]
    docs.append((500, ORIGINAL))
    index_documents("case", docs)
    return docs


def test_traditional_repost_of_a_simplified_case_is_found(stored):
    found = textintel.find_duplicates("case", traditional(ORIGINAL))
    assert found[0][0] == 500
    assert found[0][1] > 0.9


def test_follow_up_and_edited_copy_are_found(stored):
    rng = random.Random(1)
    assert textintel.find_duplicates("case", edited_copy(ORIGINAL, rng))[0][0] == 500
    again = "再次反映：幸福小区烧烤店噪音扰民，到现在还没人管！"
    assert 500 in [i for i, _ in textintel.find_duplicates("case", again, k=3)]


def test_unrelated_text_scores_low(stored):
    found = textintel.find_duplicates("case", "申请办理营业执照需要哪些材料")
    assert all(i != 500 for i, _ in found)


def test_exclude_itself(stored):
    found = textintel.find_duplicates("case", ORIGINAL, exclude=500)
    assert 500 not in [i for i, _ in found]


def test_new_documents_are_caught_up_by_key(stored):
    textintel.find_duplicates("case", "任意")  # the index is now built
    # another process writes to the search table: this one sees it on the next query
    index_documents("case", [(900, "北环路红绿灯坏了，学生过马路很危险")])
    assert textintel.find_duplicates("case", "北環路紅綠燈壞了")[0][0] == 900


def test_changed_text_replaces_the_old_version(stored):
    textintel.find_duplicates("case", "任意")
    index_documents("case", [(500, "村里自来水发黄浑浊，烧开还有水垢")])
    assert 500 not in [i for i, _ in textintel.find_duplicates("case", ORIGINAL, k=3)]
    assert textintel.find_duplicates("case", "自来水发黄浑浊")[0][0] == 500


def test_removed_document_is_not_suggested(stored):
    textintel.find_duplicates("case", "任意")
    textintel.remove_document("case", 500)
    assert 500 not in [i for i, _ in textintel.find_duplicates("case", ORIGINAL)]


def test_saved_base_is_loaded_by_a_new_process(stored, textintel_dir):
    duplicates.refresh("case", force=True)
    assert any(p.name.startswith("dup-case-") for p in textintel_dir.iterdir())
    duplicates.reset()  # as a new process would start
    index = duplicates.get_index("case")
    assert index.base.n == len(stored)
    assert not index.base.post_docs.flags.owndata  # a view of the saved map
    assert not index.base.post_docs.flags.writeable
    assert textintel.find_duplicates("case", traditional(ORIGINAL))[0][0] == 500


def test_saved_base_of_another_database_is_not_used(stored, textintel_dir):
    duplicates.refresh("case", force=True)
    duplicates.reset()
    textintel.remove_document("case", 500)  # the saved last row no longer matches
    index = duplicates.get_index("case")
    assert index.base.n == len(stored) - 1


def _no_rebuild(*args, **kwargs):
    raise AssertionError("rebuilt from every row")


def test_saved_base_is_taken_by_a_copy_of_the_database(stored, textintel_dir, monkeypatch):
    duplicates.refresh("case", force=True)
    duplicates.reset()
    # the same rows under another database name (a copy, a restored backup)
    monkeypatch.setattr(duplicates, "_db_key", lambda: "copy")
    monkeypatch.setattr(duplicates, "rebuild", _no_rebuild)
    index_documents("case", [(900, "北环路红绿灯坏了，学生过马路很危险")])  # after the copy
    index = duplicates.get_index("case")
    assert index.base.n == len(stored)
    assert (textintel_dir / "dup-case-copy" / "meta.json").exists()
    assert textintel.find_duplicates("case", traditional(ORIGINAL))[0][0] == 500
    assert textintel.find_duplicates("case", "北環路紅綠燈壞了")[0][0] == 900
    duplicates.reset()  # the next process loads it under the copy's own name
    assert duplicates.get_index("case").base.n == len(stored)


def test_saved_base_of_other_rows_is_not_taken_by_another_database(
    stored, textintel_dir, monkeypatch
):
    duplicates.refresh("case", force=True)
    duplicates.reset()
    textintel.remove_document("case", 1)  # not the last row: the row count differs
    monkeypatch.setattr(duplicates, "_db_key", lambda: "other")
    index = duplicates.get_index("case")
    assert index.base.n == len(stored) - 1
    assert 1 not in index.base.doc_ids.tolist()


def test_saved_base_whose_last_row_reads_otherwise_is_not_taken(stored, textintel_dir, monkeypatch):
    from textintel.models import SearchDocument

    duplicates.refresh("case", force=True)
    duplicates.reset()
    # same keys and row count, but the last row holds another text
    last = SearchDocument.objects.filter(doc_type="case").latest("pk")
    SearchDocument.objects.filter(pk=last.pk).update(tokens=bigram_tokens("村里自来水发黄浑浊"))
    monkeypatch.setattr(duplicates, "_db_key", lambda: "other")
    rebuilt = []
    rebuild = duplicates.rebuild
    monkeypatch.setattr(duplicates, "rebuild", lambda t: rebuilt.append(t) or rebuild(t))
    index = duplicates.get_index("case")
    assert rebuilt == ["case"]
    assert textintel.find_duplicates("case", "村里自来水发黄浑浊")[0][0] == last.doc_id
    assert index.base.n == len(stored)


def test_refresh_appends_new_documents_once(stored, textintel_dir):
    duplicates.refresh("case", force=True)
    assert duplicates.refresh("case")["case"] == {"rebuilt": False, "appended": 0, "tail": 0}
    index_documents("case", [(901, "路灯坏了"), (902, "停水了"), (903, "噪音扰民")])
    assert duplicates.refresh("case")["case"] == {"rebuilt": False, "appended": 3, "tail": 3}
    assert duplicates.refresh("case")["case"] == {"rebuilt": False, "appended": 0, "tail": 3}
    # a new process loads the saved base and tail and finds the appended documents
    duplicates.reset()
    index = duplicates.get_index("case")
    assert (index.base.n, index.tail.n, len(index.delta.doc_ids)) == (len(stored), 3, 0)
    assert textintel.find_duplicates("case", "停水了", k=1)[0][0] == 902
    assert duplicates.refresh("case")["case"] == {"rebuilt": False, "appended": 0, "tail": 3}


def test_changed_text_in_the_tail_hides_the_base_version_in_a_new_process(stored, textintel_dir):
    duplicates.refresh("case", force=True)
    index_documents("case", [(500, "村里自来水发黄浑浊，烧开还有水垢")])
    duplicates.refresh("case")
    duplicates.reset()
    assert 500 not in [i for i, _ in textintel.find_duplicates("case", ORIGINAL, k=3)]
    assert textintel.find_duplicates("case", "自来水发黄浑浊")[0][0] == 500


def test_base_is_rebuilt_when_the_tail_outgrows_it(stored, textintel_dir, monkeypatch):
    duplicates.refresh("case", force=True)
    monkeypatch.setattr(duplicates, "TAIL_REBUILD_MIN", 3)
    monkeypatch.setattr(duplicates, "TAIL_REBUILD_RATIO", 0)
    index_documents("case", [(901, "路灯坏了"), (902, "停水了"), (903, "噪音扰民")])
    assert duplicates.refresh("case")["case"] == {"rebuilt": False, "appended": 3, "tail": 3}
    index_documents("case", [(904, "路灯又坏了")])
    assert duplicates.refresh("case")["case"] == {"rebuilt": True, "documents": len(stored) + 4}
    assert duplicates.refresh("case")["case"] == {"rebuilt": False, "appended": 0, "tail": 0}


def test_a_large_catch_up_goes_into_the_numpy_tail(stored, monkeypatch):
    monkeypatch.setattr(duplicates, "DELTA_FOLD", 5)
    textintel.find_duplicates("case", "任意")
    gen = MessageGenerator(11)
    index_documents("case", [(1000 + i, m["text"]) for i, m in enumerate(gen.messages(20))])
    index_documents("case", [(2000, "北环路红绿灯坏了，学生过马路很危险")])
    assert textintel.find_duplicates("case", "北環路紅綠燈壞了")[0][0] == 2000
    index = duplicates.get_index("case")
    assert index.tail.n == 21 and len(index.delta.doc_ids) == 0


def test_in_memory_index_without_database():
    texts = ["路灯坏了很久", "自来水停水三天", "烧烤油烟扰民"]
    index = DuplicateIndex(Base.build([7, 8, 9], [0, 0, 0], [bigram_tokens(t) for t in texts]))
    assert index.query_tokens(bigram_tokens("路燈壞了"), k=1)[0][0] == 7
    index.add_tokens(10, bigram_tokens("油烟扰民严重"))
    assert index.query_tokens(bigram_tokens("油煙擾民嚴重"), k=1)[0][0] == 10
    index.forget(10)
    assert index.query_tokens(bigram_tokens("油煙擾民嚴重"), k=1)[0][0] == 9
    assert index.query_tokens("", k=1) == []


def test_same_group_ranks_higher_and_is_kept_through_save_and_load(textintel_dir):
    a = "幸福村三组王家门口的路灯坏了半个月，晚上出门很不方便，希望尽快修好"
    b = "幸福村三组王家门口路灯不亮，老人晚上不敢出门，请派人来修"
    query = "王家门口那盏路灯一直不亮，晚上黑乎乎的，反映过好几次"
    gen = MessageGenerator(4)
    docs = [(i, m["text"], 1) for i, m in enumerate(gen.messages(100), start=1)]
    index_documents("case", [*docs, (500, a, 7), (501, b, 8)])
    plain = textintel.find_duplicates("case", query, k=2)
    near = textintel.find_duplicates("case", query, k=2, group=8)
    assert near[0][0] == 501
    assert dict(near)[501] == dict(plain)[501]  # the score shown stays the cosine
    assert textintel.find_duplicates("case", query, k=1, group=7)[0][0] == 500
    duplicates.refresh("case", force=True)
    index_documents("case", [(502, b + "。", 9)])
    duplicates.refresh("case")
    duplicates.reset()
    assert textintel.find_duplicates("case", query, k=1, group=9)[0][0] == 502
    assert textintel.find_duplicates("case", query, k=1, group=7)[0][0] == 500


def _grouped_index(n_groups: int = 60, per_group: int = 8):
    """Messages in many groups, stored in an order unrelated to their group, each
    group with a near copy of one shared text (the repeat to find)."""
    rng = random.Random(11)
    gen = MessageGenerator(5)
    rows = []
    doc_id = 1
    for group in range(1, n_groups + 1):
        for m in gen.messages(per_group - 1):
            rows.append((doc_id, m["text"], group))
            doc_id += 1
        rows.append((doc_id, edited_copy(ORIGINAL, rng), group))
        doc_id += 1
    rng.shuffle(rows)
    base = Base.build(
        [r[0] for r in rows],
        [0] * len(rows),
        [bigram_tokens(r[1]) for r in rows],
        groups=[r[2] for r in rows],
    )
    return DuplicateIndex(base), {r[0]: r[2] for r in rows}


@pytest.mark.parametrize(
    "area",
    [
        list(range(10, 20)),  # one run of groups
        [3, 4, 17, 30, 31, 32, 55],  # a few runs
        list(range(1, 61, 2)),  # every other group: more runs than MAX_AREA_RUNS
    ],
)
def test_an_areas_duplicates_are_its_own_and_the_same_as_by_filtering(area, monkeypatch):
    index, group_of = _grouped_index()
    assert list(index.base.groups) == sorted(index.base.groups)  # rows in group order
    within = np.zeros(80, dtype=bool)  # a table longer than the groups held
    within[area] = True
    query = bigram_tokens(traditional(ORIGINAL))
    found = index.query_tokens(query, k=10, within=within)
    copies = min(10, len(area))  # one near copy per group
    assert len(found) >= copies
    assert all(group_of[doc_id] in area for doc_id, _ in found)
    assert all(score > 0.5 for _, score in found[:copies])  # the near copies come first
    # reading the area's slices of the postings answers exactly what walking the
    # whole postings and filtering by group answers
    monkeypatch.setattr(duplicates, "MAX_AREA_RUNS", 0)
    assert index.query_tokens(query, k=10, within=within) == found


def test_an_area_with_no_document_finds_none_and_a_tail_is_read_by_area_too():
    index, _ = _grouped_index(n_groups=20)
    within = np.zeros(200, dtype=bool)
    within[100:120] = True  # groups that hold nothing
    assert index.query_tokens(bigram_tokens(ORIGINAL), within=within) == []
    rows = [(1000 + g, 2000 + g, bigram_tokens(ORIGINAL + str(g)), g) for g in (150, 110, 105)]
    rows += [
        (1100 + i, 5000 + i, bigram_tokens(m["text"]), 3)
        for i, m in enumerate(MessageGenerator(6).messages(DELTA_FOLD))
    ]
    index.add_rows(rows)  # past the delta: straight into the numpy tail
    assert index.tail.n == len(rows)
    assert list(index.tail.groups) == sorted(index.tail.groups)
    found = index.query_tokens(bigram_tokens(ORIGINAL), k=5, within=within)
    assert sorted(doc_id for doc_id, _ in found) == [2105, 2110]
