import json

import pytest
from django.core.management import call_command

import textintel
from textintel import classify, jobs
from textintel.registry import (
    TrainingData,
    _duplicate_providers,
    _training_sources,
    _watermarks,
)
from textintel.tests.textgen import MessageGenerator, traditional

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained():
    gen = MessageGenerator(11)
    msgs = gen.messages(600)
    # a category with distinctive words the generator never writes
    bees = [
        f"{w}{what}，{loss}"
        for w in ("东山村", "西河镇", "南湖", "北坪社区")
        for what, loss in [
            ("的蜂箱被偷了", "养蜂合作社损失很大"),
            ("蜜蜂大量死亡", "怀疑是附近打农药"),
            ("的蜂蜜卖不出去", "希望帮忙对接销路"),
        ]
    ]
    texts = [m["text"] for m in msgs] + bees
    labels = [m["category"] for m in msgs] + ["养蜂"] * len(bees)
    textintel.train("category", texts, labels, names={"养蜂": "蜂业服务"})
    textintel.train("unit", [m["text"] for m in msgs], [m["unit"] for m in msgs])
    return msgs


@pytest.fixture
def provider():
    calls = []

    def fn(ids):
        calls.append(list(ids))
        return {
            i: {"tracking_code": f"TC{i}", "external_ref": "", "state": "accepted"}
            for i in ids
            if i != 2  # a merged case the provider hides
        }

    before = _duplicate_providers.get("case")
    textintel.register_duplicate_provider("case", fn)
    yield calls
    _duplicate_providers.pop("case", None)
    if before is not None:  # the cases app's own provider
        _duplicate_providers["case"] = before


def test_learned_category_is_suggested(trained):
    top = textintel.predict("category", "我家的蜂箱昨晚被人偷走了三个，蜜蜂也跑了")
    assert top[0]["id"] == "养蜂"
    assert top[0]["name"] == "蜂业服务"
    assert len(top) == 3
    assert top[0]["score"] >= top[1]["score"] >= top[2]["score"]


def test_traditional_text_gets_the_same_category(trained):
    text = "小区路灯坏了好几个月，晚上走路不安全"
    assert (
        textintel.predict("category", traditional(text))[0]["id"]
        == textintel.predict("category", text)[0]["id"]
    )


def test_model_is_saved_and_loaded_lazily(trained, textintel_dir):
    assert (textintel_dir / "category.pickle").exists()
    classify.forget_models()  # a new process
    assert textintel.predict("category", "蜂箱被偷")[0]["id"] == "养蜂"


def test_untrained_suggests_nothing():
    assert textintel.predict("category", "路灯坏了") == []
    assert textintel.suggest("路灯坏了") == {"categories": [], "units": [], "duplicates": []}


def test_too_little_data_is_refused():
    with pytest.raises(ValueError, match="训练数据不足"):
        textintel.train("category", ["路灯坏了", "停水了"], [1, 2])


def test_answer_shape(trained, provider):
    textintel.index_documents(
        "case", [(1, "小区路灯坏了很久"), (2, "小区路灯坏了很久了"), (3, "停水")]
    )
    answer = textintel.suggest("小區路燈壞了很久", place=["T01", "T01V01"])
    assert set(answer) == {"categories", "units", "duplicates"}
    assert len(answer["categories"]) == 3 and len(answer["units"]) == 3
    for item in answer["categories"] + answer["units"]:
        assert set(item) == {"id", "name", "score"}
        assert 0 <= item["score"] <= 1
    dup = answer["duplicates"]
    assert [d["id"] for d in dup] == [1]  # 2 is hidden by the provider, 3 unrelated
    assert set(dup[0]) == {"id", "tracking_code", "external_ref", "score", "state"}
    assert dup[0]["tracking_code"] == "TC1" and dup[0]["state"] == "accepted"
    assert json.dumps(answer, ensure_ascii=False)


def test_retrain_job_only_when_data_changed(textintel_dir, settings):
    gen = MessageGenerator(5)
    msgs = gen.messages(120)
    version = {"v": "a"}
    before = _training_sources.get("category")
    textintel.register_training_source(
        "category",
        lambda: TrainingData(
            texts=[m["text"] for m in msgs],
            labels=[m["category"] for m in msgs],
            fingerprint=version["v"],
        ),
    )
    try:
        assert jobs.train_all()["category"]["examples"] >= 120
        # a model trained today is kept, whatever the data
        version["v"] = "b"
        assert jobs.train_all()["category"] == "fresh"
        settings.TEXTINTEL_RETRAIN_HOURS = 0
        assert isinstance(jobs.train_all()["category"], dict)
        assert jobs.train_all()["category"] == "unchanged"
        version["v"] = "c"
        assert isinstance(jobs.train_all()["category"], dict)
    finally:
        _training_sources.pop("category", None)
        if before is not None:
            _training_sources["category"] = before


def test_suggest_batch_command(trained, provider, tmp_path):
    textintel.index_documents("case", [(1, "幸福村自来水停水三天了，吃水困难")])
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"ref": "A1", "text": "幸福村自來水停水三天了"}, ensure_ascii=False)
        + "\nnot json\n\n"
        + json.dumps({"ref": "A2", "text": "营业执照办不下来"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    call_command("suggest_batch", str(src), str(out))
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x.get("ref") for x in lines] == ["A1", None, "A2"]
    assert lines[0]["duplicates"][0]["id"] == 1
    assert len(lines[0]["categories"]) == 3
    assert "error" in lines[1]


def test_history_unit_suggester_knows_who_handles_what_where(trained):
    # roads go to the transport bureau, except in town T03, whose government handles them
    given, labels, places = [], [], []
    for town in ("T01", "T02", "T03"):
        for _ in range(120):
            given.append("城乡融合")
            labels.append("T03政府" if town == "T03" else "交通局")
            places.append(["K01", f"K01{town}"])
            given.append("生态环境")
            labels.append("环保局")
            places.append(["K01", f"K01{town}"])
    classify.train_history("unit", given, labels, places, names={"交通局": "县交通运输局"})
    roads = "村道没有路灯，晚上出门不安全，希望搞亮化"
    cat = textintel.predict("category", roads, k=5)
    assert cat[0]["id"] == "城乡融合"
    top = textintel.predict("unit", roads, place=["K01", "K01T01"], given=cat)
    assert top[0] == {"id": "交通局", "name": "县交通运输局", "score": top[0]["score"]}
    assert textintel.predict("unit", roads, place=["K01", "K01T03"])[0]["id"] == "T03政府"
    with pytest.raises(ValueError):
        classify.train_history("unit", ["a"], ["x"], [["K01"]])


def test_retrain_waits_for_enough_new_records(textintel_dir, settings, monkeypatch):
    settings.TEXTINTEL_RETRAIN_HOURS = 0
    monkeypatch.setattr(jobs, "RETRAIN_MIN_NEW", 50)
    msgs = MessageGenerator(5).messages(300)
    count = {"n": 120}
    before = _training_sources.get("category"), _watermarks.get("category")
    textintel.register_training_source(
        "category",
        lambda: TrainingData(
            texts=[m["text"] for m in msgs[: count["n"]]],
            labels=[m["category"] for m in msgs[: count["n"]]],
        ),
        watermark=lambda: count["n"],
    )
    try:
        assert jobs.train_all()["category"]["examples"] >= 120
        count["n"] = 160  # 40 new: not enough
        assert jobs.train_all()["category"] == {"kept": True, "new_records": 40}
        assert jobs.train_all()["category"] == {"kept": True, "new_records": 40}
        count["n"] = 200
        assert jobs.train_all()["category"]["examples"] >= 200
        assert jobs.train_all()["category"] == {"kept": True, "new_records": 0}
    finally:
        _training_sources.pop("category", None)
        _watermarks.pop("category", None)
        if before[0] is not None:
            textintel.register_training_source("category", *before)


def test_a_secondary_remark_does_not_decide_the_category(trained):
    water = "幸福村自来水停水三天了，吃水做饭都成问题"
    lights = "小区路灯坏了好几个月，晚上走路不安全"
    first = textintel.predict("category", water)[0]["id"]
    second = textintel.predict("category", lights)[0]["id"]
    assert first != second
    both = textintel.predict("category", f"{water}，另外{lights}")
    assert both[0]["id"] == first
    assert second in [c["id"] for c in both]  # the remark still counts a little
    assert textintel.predict("category", f"{lights}。此外，{water}")[0]["id"] == second
    # a marker at the very start is no split: the message is its own main matter
    assert textintel.predict("category", f"另外，{lights}")[0]["id"] == second


def test_a_model_of_the_older_format_predicts_and_is_retrained(textintel_dir):
    import time

    msgs = MessageGenerator(5).messages(200)
    texts, labels = [m["text"] for m in msgs], [m["category"] for m in msgs]
    # what the previous version saved: FeatureUnion + LinearSVC, no format key
    features, clf = classify.build_model()
    clf.fit(features.fit_transform([classify._doc(t) for t in texts]), labels)
    old = {
        "features": features,
        "clf": clf,
        "names": {},
        "trained_at": time.time(),
        "examples": len(texts),
        "labels": len(set(labels)),
        "fingerprint": "a",
        "watermark": None,
    }
    classify._store("category", old, save=True)
    classify.forget_models()  # a new process reads the old file
    assert classify.model_info("category")["format"] == 1
    top = textintel.predict("category", "自来水停水三天了，吃水都成问题")
    assert len(top) == 3 and top[0]["id"] == "饮水安全"

    before = _training_sources.get("category")
    textintel.register_training_source(
        "category", lambda: TrainingData(texts=texts, labels=labels, fingerprint="a")
    )
    try:
        # fresh and the same data, but of the older format: retrained
        assert jobs.train_all()["category"]["examples"] >= 200
        assert classify.model_info("category")["format"] == classify.MODEL_FORMAT
        assert jobs.train_all()["category"] == "fresh"
    finally:
        _training_sources.pop("category", None)
        if before is not None:
            _training_sources["category"] = before
    classify.forget_models()
    assert textintel.predict("category", "自来水停水三天了，吃水都成问题")[0]["id"] == "饮水安全"


def test_warm_loads_the_models_and_the_word_cutter_before_any_request(trained, monkeypatch):
    classify.forget_models()
    monkeypatch.setattr(classify, "_jieba", None)
    textintel.warm()
    assert {"category", "unit"} <= set(classify._loaded)
    assert classify._jieba is not None


def test_warm_without_trained_models_does_nothing(textintel_dir):
    classify.forget_models()
    textintel.warm()
    assert classify._loaded == {}
