"""Category and unit suggestion learned from the deployment's own handled cases.

Features: TF-IDF over character 1-3-grams of the normalised text, TF-IDF over
words (jieba's shipped dictionary, no download), and place tokens (the node and
its ancestors: the model learns where a town handles a kind of case itself).
Model: a linear SVM calibrated to probabilities (Platt scaling, 3-fold), so the
top-3 scores read as confidences. Trained models live in
VAR_DIR/models/<kind>.joblib; every process loads them lazily and reloads when
the file changes (retraining in the periodic job reaches all processes).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .normalize import segment_text

log = logging.getLogger(__name__)
MIN_TRAINING = 2  # at least two labels, each with this many examples
_lock = threading.Lock()
_loaded: dict[str, tuple[float, Any]] = {}
_jieba = None


def _words(text: str) -> list[str]:
    """Words of a normalised segment text, plus the place tokens it carries."""
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba = jieba
    body, _, place = text.partition("\x1f")
    words = [w for w in _jieba.lcut(body) if w.strip() and len(w) > 1]
    return words + place.split()


def _chars(text: str) -> str:
    return text.partition("\x1f")[0]


def place_tokens(place: Any) -> list[str]:
    """Place as model tokens: None, a code, a list of codes, or an object with
    `code` (and treebeard's get_ancestors)."""
    if place is None or place == "":
        return []
    if isinstance(place, str):
        return [f"place_{place}"]
    if isinstance(place, (list, tuple)):
        return [f"place_{p}" for p in place if p]
    codes = []
    if hasattr(place, "get_ancestors"):
        codes = [a.code for a in place.get_ancestors()]
    codes.append(place.code)
    return [f"place_{c}" for c in codes if c]


def _doc(text: str, place: Any = None) -> str:
    return segment_text(text) + "\x1f" + " ".join(place_tokens(place))


def _model_path(kind: str) -> Path:
    from django.conf import settings

    base = Path(getattr(settings, "TEXTINTEL_DIR", settings.VAR_DIR / "models"))
    return base / f"{kind}.joblib"


def build_model(c: float = 0.5):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=(1, 3),
                    preprocessor=_chars,
                    sublinear_tf=True,
                    min_df=2,
                    max_features=300_000,
                    dtype=np.float32,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer=_words,
                    sublinear_tf=True,
                    min_df=2,
                    dtype=np.float32,
                ),
            ),
        ]
    )
    return make_pipeline(features, CalibratedClassifierCV(LinearSVC(C=c), method="sigmoid", cv=3))


def train(
    kind: str,
    texts: Sequence[str],
    labels: Sequence[Any],
    places: Sequence[Any] | None = None,
    names: dict[Any, str] | None = None,
    save: bool = True,
    fingerprint: str = "",
) -> dict:
    """Fit the `kind` suggester ("category", "unit", ...) on handled examples and
    save it. Labels are ids (or any hashable); `names` maps them to display
    names. Returns a summary; raises ValueError with too little data."""
    import joblib

    places = list(places) if places is not None else [None] * len(texts)
    counts = Counter(labels)
    keep = {lab for lab, n in counts.items() if n >= MIN_TRAINING}
    rows = [(t, lab, p) for t, lab, p in zip(texts, labels, places, strict=True) if lab in keep]
    if len(keep) < 2:
        raise ValueError("训练数据不足：至少需要两个类别、每类至少两条已办结记录")
    # 3-fold calibration needs 3 examples a label: repeat the rarest ones
    per = Counter(lab for _, lab, _ in rows)
    extra = [r for r in rows if per[r[1]] < 3]
    rows += extra + extra
    t0 = time.perf_counter()
    model = build_model()
    model.fit([_doc(t, p) for t, _, p in rows], [lab for _, lab, _ in rows])
    bundle = {
        "model": model,
        "names": dict(names or {}),
        "trained_at": time.time(),
        "examples": len(rows),
        "labels": len(keep),
        "fingerprint": fingerprint,
    }
    if save:
        path = _model_path(kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
        os.close(fd)
        joblib.dump(bundle, tmp)
        os.replace(tmp, path)
    with _lock:
        _loaded[kind] = (_mtime(kind) if save else float("inf"), bundle)
    return {
        "kind": kind,
        "examples": len(rows),
        "labels": len(keep),
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _mtime(kind: str) -> float:
    try:
        return _model_path(kind).stat().st_mtime
    except OSError:
        return 0.0


def _bundle(kind: str) -> dict | None:
    mtime = _mtime(kind)
    cached = _loaded.get(kind)
    if cached and (cached[0] >= mtime or cached[0] == float("inf")):
        return cached[1]
    if not mtime:
        return cached[1] if cached else None
    import joblib

    with _lock:
        try:
            bundle = joblib.load(_model_path(kind))
        except Exception:  # a half-written or foreign file: keep what we had
            log.exception("textintel: cannot load model %s", kind)
            return cached[1] if cached else None
        _loaded[kind] = (mtime, bundle)
    return bundle


def fingerprint(kind: str) -> str | None:
    bundle = _bundle(kind)
    return bundle.get("fingerprint") if bundle else None


def is_trained(kind: str) -> bool:
    return _bundle(kind) is not None


def predict(kind: str, text: str, place: Any = None, k: int = 3) -> list[dict]:
    """[{"id", "name", "score"}] best first; [] before the first training."""
    bundle = _bundle(kind)
    if bundle is None or not (text or "").strip():
        return []
    model = bundle["model"]
    proba = model.predict_proba([_doc(text, place)])[0]
    order = proba.argsort()[::-1][:k]
    names = bundle["names"]
    out = []
    for i in order:
        label = model.classes_[i]
        label = label.item() if hasattr(label, "item") else label
        out.append(
            {"id": label, "name": names.get(label, str(label)), "score": round(float(proba[i]), 4)}
        )
    return out


def predict_many(kind: str, texts: Iterable[str], places: Iterable[Any] | None = None, k: int = 3):
    bundle = _bundle(kind)
    texts = list(texts)
    if bundle is None:
        return [[] for _ in texts]
    places = list(places) if places is not None else [None] * len(texts)
    model = bundle["model"]
    proba = model.predict_proba([_doc(t, p) for t, p in zip(texts, places, strict=True)])
    names = bundle["names"]
    out = []
    for row in proba:
        order = row.argsort()[::-1][:k]
        items = []
        for i in order:
            label = model.classes_[i]
            label = label.item() if hasattr(label, "item") else label
            items.append(
                {
                    "id": label,
                    "name": names.get(label, str(label)),
                    "score": round(float(row[i]), 4),
                }
            )
        out.append(items)
    return out


def forget_models() -> None:
    with _lock:
        _loaded.clear()
