"""Category and unit suggestion learned from the deployment's own handled cases.

Features: TF-IDF over character 1-3-grams of the normalised text, TF-IDF over
words (jieba's shipped dictionary, no download), and place tokens (the node and
its ancestors: the model learns where a town handles a kind of case itself, and
a place's usual categories act as a prior). A message's *secondary remark*
(what follows 另外/此外/顺便...: residents append a second, unrelated matter)
counts at SECONDARY_WEIGHT only: the ledger files a case under its main matter.
Model (format 2): a complement naive Bayes over these features (it keeps the
evidence of every n-gram, so it generalises better than a linear SVM to
phrasings the history never used, and at a few hundred examples), calibrated to
probabilities by temperature scaling (a softmax whose one temperature is fitted
on a held-out quarter), so the top-3 scores read as confidences. Prediction is
one sparse product and a softmax. Hyper-parameters were chosen on validation
data cut from the generator's *train* stream (another seed, and one phrasing per
category held out of training), never on the benchmark's test stream.
Format 1 models (LinearSVC) still load and predict; the periodic job retrains
them (model_info reports the format).
A *history* suggester (`train_history`)
learns P(unit | category, place) from who handled what where: the unit
suggestion of a province-wide deployment, where units are each county's own.
Trained models live in
VAR_DIR/models/<kind>.pickle; every process loads them lazily and reloads when
the file changes (retraining in the periodic job reaches all processes).
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .normalize import normalize, segment_text

log = logging.getLogger(__name__)
MIN_TRAINING = 2  # at least two labels, each with this many examples
MODEL_FORMAT = 2  # saved models of another format predict, and the periodic job retrains them
SECONDARY_WEIGHT = 0.3  # a secondary remark's share of the evidence
NB_ALPHA = 0.3  # complement NB smoothing (chosen on validation data, not the test stream)
# a second matter appended to the main one; a marker at the very start is not
# a split (nothing came before it)
_SECONDARY = re.compile(r"另外|此外|顺便|还有一件事|还有一个问题")
_SECONDARY_MIN_MAIN = 6
_lock = threading.Lock()
_loaded: dict[str, tuple[float, Any]] = {}
_jieba = None


@lru_cache(maxsize=256)
def _cut(body: str) -> tuple[str, ...]:
    # the category and unit models cut the same text: cut it once
    return tuple(w for w in _jieba.lcut(body) if w.strip() and len(w) > 1)


def _words(text: str) -> list[str]:
    """Words of a normalised segment text, plus the place tokens it carries."""
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba = jieba
    body, _, place = text.partition("\x1f")
    return [*_cut(body), *place.split()]


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


def split_secondary(text: str) -> tuple[str, str]:
    """(main matter, secondary remark) of a message; the remark may be ''."""
    text = normalize(text or "")
    m = _SECONDARY.search(text, _SECONDARY_MIN_MAIN)
    if m is None:
        return text, ""
    return text[: m.start()], text[m.start() :]


def _docs2(text: str, place: Any = None) -> tuple[str, str]:
    """The main matter's document (with the place) and the remark's (without)."""
    main, rest = split_secondary(text)
    return _doc(main, place), (_doc(rest) if rest.strip() else "")


def _model_path(kind: str) -> Path:
    from django.conf import settings

    base = Path(getattr(settings, "TEXTINTEL_DIR", settings.VAR_DIR / "models"))
    return base / f"{kind}.pickle"


class _ScaledScores:
    """Softmax of decision scores times a fitted temperature (both model formats)."""

    def predict_proba(self, X) -> np.ndarray:
        z = self._decision(X) * self.scale_
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        return self.classes_[self._decision(X).argmax(axis=1)]


class CalibratedLinearSVC(_ScaledScores):
    """LinearSVC + temperature scaling fitted on out-of-fold decision values:
    the format-1 model, kept so that saved format-1 models load and predict."""

    def __init__(self, C: float = 0.5, folds: int = 3):
        self.C = C
        self.folds = folds

    def _decision(self, X) -> np.ndarray:
        z = np.asarray(X @ self.coef_.T) + self.intercept_
        if len(self.classes_) == 2:
            z = np.hstack([-z, z])
        return z

    def fit(self, X, y):
        from scipy.optimize import minimize_scalar
        from sklearn.model_selection import StratifiedShuffleSplit
        from sklearn.svm import LinearSVC

        y = np.asarray(y)
        svc = LinearSVC(C=self.C).fit(X, y)
        self.classes_ = svc.classes_
        self.coef_ = svc.coef_.astype(np.float32)
        self.intercept_ = svc.intercept_.astype(np.float32)
        # one held-out quarter fits the temperature (one scalar needs no k folds;
        # this halves the training time of the nightly retrain)
        fit_idx, cal_idx = next(
            StratifiedShuffleSplit(1, test_size=0.25, random_state=0).split(X, y)
        )
        dec = LinearSVC(C=self.C).fit(X[fit_idx], y[fit_idx]).decision_function(X[cal_idx])
        y = y[cal_idx]
        if dec.ndim == 1:
            dec = np.column_stack([-dec, dec])
        if dec.shape[1] != len(self.classes_):  # a label missing from the fit part
            self.scale_ = 1.0
            return self
        target = np.searchsorted(self.classes_, y)

        def nll(log_t: float) -> float:
            z = dec * np.exp(log_t)
            z = z - z.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            return -float(logp[np.arange(len(target)), target].mean())

        self.scale_ = float(np.exp(minimize_scalar(nll, bounds=(-4, 6), method="bounded").x))
        return self


def build_model(c: float = 0.5):
    """The format-1 pipeline (FeatureUnion + LinearSVC), kept so format-1 models
    unpickle; train() builds TextFeatures + CalibratedNB."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

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
    return features, CalibratedLinearSVC(C=c)


class TextFeatures:
    """Character 1-3-gram and word TF-IDF (each part L2-normalised) of a
    message's main matter, plus its secondary remark's at SECONDARY_WEIGHT.
    Every n-gram seen once is kept (min_df=1): with a few hundred handled
    cases, dropping the singletons loses most of a category's words."""

    def __init__(self, max_features: int = 300_000):
        self.max_features = max_features

    def fit_transform(self, pairs: Sequence[tuple[str, str]]):
        """Fit on the main matters (their document frequencies make the IDF)
        and return the training matrix (sklearn's vectorised transform: one
        pass of the word cutter over each text)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizers_ = [
            TfidfVectorizer(
                analyzer="char",
                ngram_range=(1, 3),
                preprocessor=_chars,
                sublinear_tf=True,
                max_features=self.max_features,
                dtype=np.float32,
            ),
            TfidfVectorizer(analyzer=_words, sublinear_tf=True, dtype=np.float32),
        ]
        import scipy.sparse as sp

        mains = [m for m, _ in pairs]
        X = sp.hstack([v.fit_transform(mains) for v in self.vectorizers_], format="csr")
        return X + SECONDARY_WEIGHT * self._batch([r for _, r in pairs])

    def _batch(self, docs: list[str]):
        import scipy.sparse as sp

        return sp.hstack([v.transform(docs) for v in self.vectorizers_], format="csr")

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_fast", None)
        return state

    def _parts(self) -> tuple[list, int]:
        # sklearn's transform costs ~1 ms of validation per call; this ~0.1 ms
        fast = getattr(self, "_fast", None)
        if fast is None:
            parts, offset = [], 0
            for vec in self.vectorizers_:
                parts.append((vec.build_analyzer(), vec.vocabulary_, vec.idf_, offset))
                offset += len(vec.vocabulary_)
            self._fast = fast = (parts, offset)
        return fast

    def transform(self, pairs: Sequence[tuple[str, str]]):
        """`pairs`: (main document, secondary document) as made by _docs2."""

        if len(pairs) > 20:  # a batch: sklearn's vectorised transform
            return self._batch([m for m, _ in pairs]) + SECONDARY_WEIGHT * self._batch(
                [r for _, r in pairs]
            )
        parts, width = self._parts()
        rows = (
            [
                (cols, w * weight)
                for doc, weight in ((main, 1.0), (rest, SECONDARY_WEIGHT))
                if doc
                for cols, w in _tfidf_rows(doc, parts)
            ]
            for main, rest in pairs
        )
        X = _csr(rows, len(pairs), width)
        X.sum_duplicates()  # a remark may repeat the main matter's n-grams
        return X


def _tfidf_rows(doc: str, parts: list):
    """Per feature part: (columns, L2-normalised sublinear TF-IDF weights)."""
    for analyzer, vocab, idf, offset in parts:
        counts = Counter(vocab[g] for g in analyzer(doc) if g in vocab)
        if not counts:
            continue
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        w = (1 + np.log(tf)) * idf[cols]
        w /= np.linalg.norm(w) or 1.0
        yield cols + offset, w


def _fit_temperature(dec: np.ndarray, target: np.ndarray) -> float:
    """The softmax scale that minimises the log loss of held-out decisions."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        z = dec * np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -float(logp[np.arange(len(target)), target].mean())

    return float(np.exp(minimize_scalar(nll, bounds=(-4, 9), method="bounded").x))


class CalibratedNB(_ScaledScores):
    """Complement naive Bayes + temperature scaling fitted on a held-out quarter."""

    def __init__(self, alpha: float = NB_ALPHA):
        self.alpha = alpha

    def fit(self, X, y) -> CalibratedNB:
        from sklearn.model_selection import StratifiedShuffleSplit
        from sklearn.naive_bayes import ComplementNB

        y = np.asarray(y)
        nb = ComplementNB(alpha=self.alpha).fit(X, y)
        self.classes_ = nb.classes_
        # features x classes, C-ordered: X @ coef.T on the transposed view makes
        # scipy copy the whole matrix on every call (~2 ms); this is ~20 us
        self.weights_ = np.ascontiguousarray(nb.feature_log_prob_.T, dtype=np.float32)
        fit_idx, cal_idx = next(
            StratifiedShuffleSplit(1, test_size=0.25, random_state=0).split(X, y)
        )
        part = ComplementNB(alpha=self.alpha).fit(X[fit_idx], y[fit_idx])
        if len(part.classes_) != len(self.classes_):  # a label missing from the fit part
            self.scale_ = 1.0
            return self
        dec = np.asarray(X[cal_idx] @ part.feature_log_prob_.T)
        self.scale_ = _fit_temperature(dec, np.searchsorted(self.classes_, y[cal_idx]))
        return self

    def _decision(self, X) -> np.ndarray:
        return np.asarray(X @ self.weights_)


def train(
    kind: str,
    texts: Sequence[str],
    labels: Sequence[Any],
    places: Sequence[Any] | None = None,
    names: dict[Any, str] | None = None,
    save: bool = True,
    fingerprint: str = "",
    watermark: int | None = None,
) -> dict:
    """Fit the `kind` suggester ("category", "unit", ...) on handled examples and
    save it. Labels are ids (or any hashable); `names` maps them to display
    names. Returns a summary; raises ValueError with too little data."""

    places = list(places) if places is not None else [None] * len(texts)
    counts = Counter(labels)
    keep = {lab for lab, n in counts.items() if n >= MIN_TRAINING}
    rows = [(t, lab, p) for t, lab, p in zip(texts, labels, places, strict=True) if lab in keep]
    if len(keep) < 2:
        raise ValueError("训练数据不足：至少需要两个类别、每类至少两条已办结记录")
    # the stratified calibration split needs 3 examples a label: repeat the rarest
    per = Counter(lab for _, lab, _ in rows)
    extra = [r for r in rows if per[r[1]] < 3]
    rows += extra + extra
    t0 = time.perf_counter()
    features = TextFeatures()
    X = features.fit_transform([_docs2(t, p) for t, _, p in rows])
    clf = CalibratedNB().fit(X, [lab for _, lab, _ in rows])
    bundle = {
        "format": MODEL_FORMAT,
        "features": features,
        "clf": clf,
        "names": dict(names or {}),
        "trained_at": time.time(),
        "examples": len(rows),
        "labels": len(keep),
        "fingerprint": fingerprint,
        "watermark": watermark,
    }
    _store(kind, bundle, save)
    return {
        "kind": kind,
        "examples": len(rows),
        "labels": len(keep),
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _store(kind: str, bundle: dict, save: bool) -> None:
    # the standard pickler (C): joblib's pure-Python one takes seconds on the
    # history suggester's dictionaries; numpy arrays pickle fine with protocol 5
    if save:
        path = _model_path(kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(bundle, fh, protocol=5)
        os.replace(tmp, path)
        # what the periodic job checks, readable without loading the model
        _info_path(kind).write_text(json.dumps({k: bundle.get(k) for k in _INFO}, default=str))
    with _lock:
        _loaded[kind] = (_mtime(kind) if save else float("inf"), bundle)


# --- history suggester: label given another label and the place -----------------

HISTORY_PRIOR = 5.0  # pseudo-counts a deeper place level borrows from the level above
HISTORY_RICH = 300  # a place level with this many records limits labels to its own


def train_history(
    kind: str,
    given: Sequence[Any],
    labels: Sequence[Any],
    places: Sequence[Sequence[str]],
    given_kind: str = "category",
    weights: Sequence[int] | None = None,
    names: dict[Any, str] | None = None,
    save: bool = True,
    fingerprint: str = "",
    watermark: int | None = None,
) -> dict:
    """Learn P(label | given, place) from handled records: which unit handled
    which category where. `places` are ancestor code chains (root first);
    `weights` lets a caller pass aggregated rows. A unit is the county's own:
    a text model over every unit of a province would be thousands of classes
    (minutes to train); counts take a second and know the place."""
    t0 = time.perf_counter()
    weights = list(weights) if weights is not None else [1] * len(labels)
    table: dict[tuple[str, Any], dict[Any, int]] = {}
    by_place: dict[str, dict[Any, int]] = {}
    for g, lab, codes, w in zip(given, labels, places, weights, strict=True):
        for prefix in ("", *(codes or ())):
            counts = table.get((prefix, g))
            if counts is None:
                counts = table[(prefix, g)] = {}
            counts[lab] = counts.get(lab, 0) + w
            counts = by_place.get(prefix)
            if counts is None:
                counts = by_place[prefix] = {}
            counts[lab] = counts.get(lab, 0) + w
    if len(by_place.get("", ())) < 2:
        raise ValueError("训练数据不足：至少需要两个类别、每类至少两条已办结记录")
    bundle = {
        "format": MODEL_FORMAT,
        "type": "history",
        "given_kind": given_kind,
        "table": table,
        "by_place": by_place,
        "names": dict(names or {}),
        "trained_at": time.time(),
        "examples": int(sum(weights)),
        "labels": len(by_place[""]),
        "fingerprint": fingerprint,
        "watermark": watermark,
    }
    _store(kind, bundle, save)
    return {
        "kind": kind,
        "examples": bundle["examples"],
        "labels": bundle["labels"],
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _history_scores(bundle: dict, given: list[tuple[Any, float]], codes: list[str]) -> Counter:
    table, by_place = bundle["table"], bundle["by_place"]
    chain = ["", *codes]
    allowed = None
    for i in range(len(chain) - 1, -1, -1):
        seen = by_place.get(chain[i])
        if seen and sum(seen.values()) >= HISTORY_RICH:
            # the deepest place with a rich history: its units only (a county's
            # own), and the levels above it (a province's hundreds) are skipped
            allowed = seen.keys()
            chain = chain[i:]
            break
    scores: Counter = Counter()
    for g, p in given:
        dist: dict[Any, float] = {}
        for prefix in chain:  # shallow to deep: each level smooths the next
            counts = table.get((prefix, g))
            if not counts:
                continue
            n = sum(counts.values())
            labels = set(dist) | set(counts)
            dist = {
                lab: (counts.get(lab, 0) + HISTORY_PRIOR * dist.get(lab, 0.0))
                / (n + HISTORY_PRIOR * (1.0 if dist else 0.0))
                for lab in labels
            }
        for lab, q in dist.items():
            if allowed is None or lab in allowed:
                scores[lab] += p * q
    if not scores:  # nothing known for these categories here: the place's own history
        for prefix in reversed(chain):
            seen = by_place.get(prefix)
            if seen:
                total = sum(seen.values())
                scores.update({lab: n / total for lab, n in seen.items()})
                break
    return scores


def _history_predict(bundle: dict, text: str, place: Any, k: int, given=None) -> list[dict]:
    if given is None:
        given = predict(bundle["given_kind"], text, place=place, k=5)
    given = [(g["id"], g["score"]) for g in given]
    codes = [t.removeprefix("place_") for t in place_tokens(place)]
    scores = _history_scores(bundle, given, codes)
    total = sum(scores.values()) or 1.0
    names = bundle["names"]
    return [
        {"id": lab, "name": names.get(lab, str(lab)), "score": round(s / total, 4)}
        for lab, s in scores.most_common(k)
    ]


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
    with _lock:
        try:
            with open(_model_path(kind), "rb") as fh:
                bundle = pickle.load(fh)  # our own file, written by _store
        except Exception:  # a half-written or foreign file: keep what we had
            log.exception("textintel: cannot load model %s", kind)
            return cached[1] if cached else None
        _loaded[kind] = (mtime, bundle)
    return bundle


def trained_at(kind: str) -> float | None:
    bundle = _bundle(kind)
    return bundle.get("trained_at") if bundle else None


def fingerprint(kind: str) -> str | None:
    bundle = _bundle(kind)
    return bundle.get("fingerprint") if bundle else None


_INFO = ("trained_at", "examples", "watermark", "fingerprint", "format")


def _info_path(kind: str) -> Path:
    return _model_path(kind).with_suffix(".json")


def model_info(kind: str) -> dict | None:
    """trained_at, examples, watermark, fingerprint, format of the saved model,
    from its small sidecar file (loading the model costs seconds in a fresh
    process). A model saved before formats were recorded reports format 1."""
    try:
        info = json.loads(_info_path(kind).read_text())
        if _mtime(kind) and info.get("trained_at"):
            return {**info, "format": info.get("format") or 1}
    except (OSError, ValueError):
        pass
    bundle = _bundle(kind)
    if bundle is None:
        return None
    return {**{k: bundle.get(k) for k in _INFO}, "format": bundle.get("format") or 1}


def _features(bundle: dict, texts: Sequence[str], places: Sequence[Any]):
    if (bundle.get("format") or 1) >= 2:
        return bundle["features"].transform(
            [_docs2(t, p) for t, p in zip(texts, places, strict=True)]
        )
    return _transform(bundle, [_doc(t, p) for t, p in zip(texts, places, strict=True)])


def _transform(bundle: dict, docs: list[str]):
    """Format 1: the FeatureUnion's output, computed directly: sklearn's transform
    costs ~1 ms of validation and joblib dispatch per call; this costs ~0.1 ms."""

    fast = bundle.get("_fast")
    if fast is None:
        fast = []
        offset = 0
        for _, vec in bundle["features"].transformer_list:
            fast.append((vec.build_analyzer(), vec.vocabulary_, vec.idf_, offset))
            offset += len(vec.vocabulary_)
        bundle["_fast"] = fast = (fast, offset)
    parts, width = fast
    return _csr((_tfidf_rows(doc, parts) for doc in docs), len(docs), width)


def _csr(rows, n: int, width: int):
    """One CSR row per document from its (columns, weights) pieces."""
    import scipy.sparse as sp

    indptr, indices, data, nnz = [0], [], [], 0
    for pieces in rows:
        for cols, w in pieces:
            indices.append(cols)
            data.append(w)
            nnz += len(cols)
        indptr.append(nnz)
    if indices:
        indices_arr = np.concatenate(indices)
        data_arr = np.concatenate(data).astype(np.float32)
    else:
        indices_arr = np.zeros(0, np.int64)
        data_arr = np.zeros(0, np.float32)
    return sp.csr_matrix((data_arr, indices_arr, np.array(indptr)), shape=(n, width))


def is_trained(kind: str) -> bool:
    return _bundle(kind) is not None


def predict(kind: str, text: str, place: Any = None, k: int = 3, given=None) -> list[dict]:
    """[{"id", "name", "score"}] best first; [] before the first training.
    `given`: for a history suggester, the given kind's answer if already known."""
    bundle = _bundle(kind)
    if bundle is None or not (text or "").strip():
        return []
    if bundle.get("type") == "history":
        return _history_predict(bundle, text, place, k, given=given)
    clf = bundle["clf"]
    proba = clf.predict_proba(_features(bundle, [text], [place]))[0]
    order = proba.argsort()[::-1][:k]
    names = bundle["names"]
    out = []
    for i in order:
        label = clf.classes_[i]
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
    if bundle.get("type") == "history":
        given = predict_many(bundle["given_kind"], texts, places, k=5)
        return [
            _history_predict(bundle, t, p, k, given=g)
            for t, p, g in zip(texts, places, given, strict=True)
        ]
    clf = bundle["clf"]
    proba = clf.predict_proba(_features(bundle, texts, places))
    names = bundle["names"]
    out = []
    for row in proba:
        order = row.argsort()[::-1][:k]
        items = []
        for i in order:
            label = clf.classes_[i]
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
