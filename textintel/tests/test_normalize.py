from textintel import normalize
from textintel.normalize import bigram_tokens, segments, text_from_tokens


def test_traditional_becomes_simplified():
    assert normalize("請問社區的路燈壞了") == "请问社区的路灯坏了"
    assert normalize("樓下噪音擾民") == "楼下噪音扰民"


def test_simplified_text_is_unchanged():
    text = "请问社区的路灯坏了。晚上不方便"
    assert normalize(text) == text
    # full-width punctuation folds to its half-width form
    assert normalize("坏了，晚上！") == "坏了,晚上!"


def test_full_width_folds_and_case():
    assert normalize("ＡＢＣ１２３号楼") == "abc123号楼"
    assert normalize("Ｗｉｆｉ信号差") == "wifi信号差"


def test_whitespace_collapses():
    assert normalize("  路灯\t\n坏了　　三天 ") == "路灯 坏了 三天"


def test_empty():
    assert normalize("") == ""
    assert bigram_tokens("，。！") == ""


def test_segments_split_on_punctuation():
    assert segments("路燈壞了！晚上（很）黑") == ["路灯坏了", "晚上", "很", "黑"]


def test_bigram_tokens_and_inverse():
    tokens = bigram_tokens("路灯坏了，很黑")
    assert tokens == "路灯 灯坏 坏了 了 很黑 黑"
    assert text_from_tokens(tokens) == "路灯坏了 很黑"
    assert bigram_tokens("灯") == "灯"
