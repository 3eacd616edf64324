import pytest
from django.db.models.expressions import RawSQL

from textintel import index_documents, match_sql, remove_document, search_ids
from textintel.models import SearchDocument

pytestmark = pytest.mark.django_db

DOCS = [
    (1, "小区路灯坏了很久，晚上出行很不方便"),
    (2, "楼下烧烤店噪音扰民严重，夜里睡不着"),
    (3, "村里自来水停水三天了"),
    (4, "請儘快維修人民路的路燈"),  # stored in Traditional
    (5, "灯笼挂在路边，灯光很好"),
]


@pytest.fixture
def docs():
    index_documents("case", DOCS)


def test_two_character_word(docs):
    assert sorted(search_ids("case", "路灯")) == [1, 4]
    assert search_ids("case", "噪音") == [2]
    assert search_ids("case", "停水") == [3]


def test_traditional_query_finds_simplified_text(docs):
    assert search_ids("case", "噪音擾民") == [2]
    assert sorted(search_ids("case", "路燈")) == [1, 4]


def test_simplified_query_finds_traditional_text(docs):
    assert search_ids("case", "尽快维修") == [4]


def test_phrase_needs_adjacent_characters(docs):
    # 路 and 灯 both occur in doc 5 but never side by side
    assert 5 not in search_ids("case", "路灯")
    assert search_ids("case", "灯坏了") == [1]
    assert search_ids("case", "路灯停水") == []


def test_single_character_and_several_words(docs):
    assert sorted(search_ids("case", "灯")) == [1, 4, 5]
    assert search_ids("case", "路灯 晚上") == [1]
    assert search_ids("case", "，。") == []


def test_candidate_ids_and_limit(docs):
    assert search_ids("case", "路灯", candidate_ids=[4, 5]) == [4]
    assert search_ids("case", "路灯", candidate_ids=[]) == []
    assert len(search_ids("case", "灯", limit=2)) == 2


def test_doc_types_are_separate(docs):
    index_documents("commitment", [(1, "全县路灯改造工程")])
    assert search_ids("commitment", "路灯") == [1]
    assert search_ids("commitment", "噪音") == []


def test_upsert_and_remove(docs):
    before = SearchDocument.objects.get(doc_type="case", doc_id=3).pk
    assert index_documents("case", [(3, "村里自来水停水三天了")]) == 0  # unchanged: no write
    index_documents("case", [(3, "村口垃圾没人清运")])
    row = SearchDocument.objects.get(doc_type="case", doc_id=3)
    assert row.pk > before  # a change is a new row, seen by other processes' catch-up
    assert search_ids("case", "停水") == []
    assert search_ids("case", "垃圾") == [3]
    remove_document("case", 3)
    assert search_ids("case", "垃圾") == []
    assert SearchDocument.objects.filter(doc_type="case").count() == 4


def test_match_sql_combines_with_a_queryset(docs):
    sql, params = match_sql("case", "路燈")
    qs = SearchDocument.objects.filter(doc_type="case", doc_id__in=RawSQL(sql, params))
    assert sorted(qs.values_list("doc_id", flat=True)) == [1, 4]
    assert match_sql("case", "！！") is None


def test_ranking_prefers_the_focused_document():
    index_documents(
        "case",
        [
            (10, "噪音"),
            (11, "今天天气不错，我们去公园散步，顺便看看花，傍晚有点噪音"),
        ],
    )
    assert search_ids("case", "噪音") == [10, 11]
