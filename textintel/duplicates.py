"""Duplicate finder: character-bigram TF-IDF with an inverted index.

Why not MinHash-LSH: follow-ups (再次反映) and partial reposts share few
character 3-grams with the original, so LSH at usual thresholds misses many.
Here every document is a sparse TF-IDF vector over hashed character bigrams
(and the trigrams formed by two adjacent bigrams). A query:

1. takes its rarest terms (highest IDF) up to a postings budget, adds up partial
   scores for the documents in their postings (numpy scatter-add into a
   preallocated accumulator, so the cost is the postings read, not N);
2. keeps a short candidate list (CANDIDATES) and re-ranks it by exact cosine
   over the full vectors;
3. returns the top k (doc_id, score).

Layout: a large immutable *base* segment in numpy arrays (CSR forward index for
re-ranking; postings only for terms with df <= DF_CAP, the common terms are
never used to find candidates; rows in group order, so the documents of an
area, a county's places, are a few runs of rows and a query within an area reads
only their slices of each term's postings), a *tail* segment of the same shape for the
documents that arrived since the base was built (scored with the base's IDF, so
scores compare), and a small in-memory *delta* for the newest ones. `add()`
puts a document in the delta at once; past DELTA_FOLD documents the delta is
folded into the tail with numpy (a query never walks long Python lists).

Processes: the base is built from the search table (SearchDocument.tokens, which
holds exactly the bigram sequence) and saved under VAR_DIR/models/; a process
starting loads the saved base and tail with mmap (the page cache is shared by
all app processes), then catches up by primary key: every change in the search
table is a new row, so `id > last seen` finds documents that other processes
indexed. A database copied or restored under another name takes a saved base
built from the same rows (hard links) rather than rebuilding it. The periodic
job (`refresh`) appends the new documents to the saved tail (seconds); the base
is rebuilt only when the tail outgrows TAIL_REBUILD_RATIO of it, so full
rebuilds get rarer as the base grows.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .normalize import bigram_tokens

log = logging.getLogger(__name__)

NBITS = 22
NBUCKETS = 1 << NBITS
_MULT = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(64 - NBITS)
CANDIDATES = 200  # re-ranked by exact cosine
# postings read per query; at 1M generated messages, follow-up recall@10 / CPU
# per query: 80k 0.86 / 2.6 ms, 120k 0.89 / 3.7 ms, 200k 0.91 / 4.6 ms
POSTINGS_BUDGET = 200_000
MAX_QUERY_TERMS = 48
# added to the (partial, then exact) cosine of a document from the query's group
# (its place) when choosing and ranking candidates: another resident's message
# about the same spot words it differently (same-complaint recall@10 on a tuning
# stream: 100k 0.41 -> 0.77, 1M 0.67); the score shown stays the cosine
GROUP_BOOST = 0.2
# an area (a county's places) whose rows fall into more runs than this is read by
# walking whole postings and filtering, as a query without an area is
MAX_AREA_RUNS = 32
DF_CAP_RATIO = 0.03  # terms in more than 3% of documents find no candidates
DF_CAP_MIN = 2_000
DELTA_FOLD = 2_000  # in-memory documents before they go into the numpy tail
CATCH_UP_PAGE = 50_000
LOOKBACK = 500  # re-read recent keys for rows committed out of order
LOOKBACK_EVERY = 5.0  # seconds
SNAPSHOT_CHECK_EVERY = 30.0  # seconds
CATCH_UP_EVERY = 1.0  # seconds
TAIL_REBUILD_MIN = 20_000
TAIL_REBUILD_RATIO = 0.5  # tail larger than half the base: rebuild the base
FORMAT = 4  # 4: rows in group order


# --- features ---------------------------------------------------------------


def features_from_tokens(token_strings: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashed bigram and adjacent-bigram trigram features of many documents at
    once. Returns (doc_index, bucket, tf) sorted by doc then bucket."""
    if not token_strings:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.uint32), empty.astype(np.uint8)
    big = "\n".join(token_strings) + "\n"
    c = np.frombuffer(big.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    nl = c == 10
    sep = nl | (c == 32)
    doc_of = np.cumsum(nl) - nl
    start = ~sep
    start[1:] &= sep[:-1]
    nxt = np.ones_like(sep)
    nxt[:-1] = sep[1:]
    s2 = np.flatnonzero(start & ~nxt)  # starts of two-character tokens
    keys = (c[s2] << np.uint64(21)) | c[s2 + 1]
    docs = doc_of[s2]
    # "ab bc": the next token starts 3 later in the same document -> "abc"
    adj = np.flatnonzero((s2[1:] == s2[:-1] + 3) & (docs[1:] == docs[:-1]))
    if len(adj):
        a = s2[adj]
        tri = (c[a] << np.uint64(42)) | (c[a + 1] << np.uint64(21)) | c[a + 4]
        keys = np.concatenate([keys, tri])
        docs = np.concatenate([docs, docs[adj]])
    buckets = (keys * _MULT) >> _SHIFT
    combined = (docs.astype(np.uint64) << np.uint64(NBITS)) | buckets
    uniq, counts = np.unique(combined, return_counts=True)
    return (
        (uniq >> np.uint64(NBITS)).astype(np.int64),
        (uniq & np.uint64(NBUCKETS - 1)).astype(np.uint32),
        np.minimum(counts, 255).astype(np.uint8),
    )


def _idf(df: np.ndarray, n: int) -> np.ndarray:
    return (np.log((n + 1) / (df.astype(np.float64) + 1)) + 1).astype(np.float32)


# --- the index ----------------------------------------------------------------


@dataclass
class Base:
    """One immutable segment (the base, or the tail with the base's IDF)."""

    doc_ids: np.ndarray  # int64 [n]
    pks: np.ndarray  # int64 [n], search-table keys (0 when built without a table)
    fwd_indptr: np.ndarray  # int64 [n+1]
    fwd_terms: np.ndarray  # uint32 [nnz]
    fwd_tf: np.ndarray  # uint8 [nnz]
    norm: np.ndarray  # float32 [n]
    df: np.ndarray  # int32 [NBUCKETS]
    idf: np.ndarray  # float32 [NBUCKETS], frozen at the base's build
    post_indptr: np.ndarray  # int64 [NBUCKETS+1]
    post_docs: np.ndarray  # int32, postings of terms with df <= cap
    by_doc: np.ndarray  # int64 [n]: row order sorted by doc_id
    groups: np.ndarray  # int64 [n]: group key (0: none), ascending
    last_pk: int = 0

    @property
    def n(self) -> int:
        return len(self.doc_ids)

    ARRAYS = (
        "doc_ids pks fwd_indptr fwd_terms fwd_tf norm df idf post_indptr post_docs by_doc groups"
    ).split()
    TAIL_ARRAYS = [a for a in ARRAYS if a != "idf"]  # a tail uses its base's IDF

    @classmethod
    def empty(cls) -> Base:
        return cls.from_features(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.uint32),
            np.zeros(0, np.uint8),
        )

    @classmethod
    def build(cls, doc_ids, pks, token_strings, chunk: int = 50_000, groups=None) -> Base:
        doc_ids = np.asarray(doc_ids, dtype=np.int64)
        pks = np.asarray(pks, dtype=np.int64)
        n = len(doc_ids)
        parts_doc, parts_b, parts_tf = [], [], []
        for s in range(0, n, chunk):
            d, b, tf = features_from_tokens(token_strings[s : s + chunk])
            parts_doc.append(d + s)
            parts_b.append(b)
            parts_tf.append(tf)
        return cls.from_features(
            doc_ids,
            pks,
            np.concatenate(parts_doc) if parts_doc else np.zeros(0, np.int64),
            np.concatenate(parts_b) if parts_b else np.zeros(0, np.uint32),
            np.concatenate(parts_tf) if parts_tf else np.zeros(0, np.uint8),
            groups=groups,
        )

    @classmethod
    def from_features(
        cls, doc_ids, pks, docs, buckets, tf, under: Base | None = None, groups=None
    ) -> Base:
        """A segment from (doc row, bucket, tf) triples sorted by row. With
        `under` (the base) the segment is a tail: it takes the base's IDF, and a
        term finds candidates only while rare in base and tail together.

        The rows are stored in group order (stable): an area's groups are then a
        few runs of rows, and each term's postings (ascending rows) hold the
        area's documents as a few slices found by binary search (`area_runs`)."""
        n = len(doc_ids)
        doc_ids = np.asarray(doc_ids, dtype=np.int64)
        pks = np.asarray(pks, dtype=np.int64)
        groups = np.asarray(groups, dtype=np.int64) if groups is not None else np.zeros(n, np.int64)
        counts = np.bincount(docs, minlength=n)
        if n > 1 and np.any(groups[1:] < groups[:-1]):
            perm = np.argsort(groups, kind="stable")  # new row -> old row
            old_indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(counts, out=old_indptr[1:])
            counts = counts[perm]
            # the triples of each old row, gathered in the new row order (no sort)
            firsts = np.zeros(n, dtype=np.int64)
            np.cumsum(counts[:-1], out=firsts[1:])
            pos = np.repeat(old_indptr[perm] - firsts, counts) + np.arange(int(counts.sum()))
            buckets, tf = buckets[pos], tf[pos]
            docs = np.repeat(np.arange(n, dtype=np.int64), counts)
            doc_ids, pks, groups = doc_ids[perm], pks[perm], groups[perm]
        fwd_indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=fwd_indptr[1:])
        df = np.bincount(buckets, minlength=NBUCKETS).astype(np.int32)
        idf = under.idf if under is not None else _idf(df, n)
        w = (1 + np.log(tf.astype(np.float32))) * idf[buckets]
        norm = np.sqrt(np.bincount(docs, weights=w.astype(np.float64) ** 2, minlength=n))
        norm = np.maximum(norm, 1e-6).astype(np.float32)
        if under is not None:
            keep = (df[buckets] + under.df[buckets]) <= _cap(n + under.n)
        else:
            keep = df[buckets] <= _cap(n)
        kb = buckets[keep]
        kd = docs[keep].astype(np.int32)
        order = np.argsort(kb, kind="stable")  # stable: docs stay ascending
        post_indptr = np.zeros(NBUCKETS + 1, dtype=np.int64)
        np.cumsum(np.bincount(kb, minlength=NBUCKETS), out=post_indptr[1:])
        return cls(
            doc_ids=doc_ids,
            pks=pks,
            fwd_indptr=fwd_indptr,
            fwd_terms=buckets,
            fwd_tf=tf,
            norm=norm,
            df=df,
            idf=idf,
            post_indptr=post_indptr,
            post_docs=kd[order],
            by_doc=np.argsort(doc_ids, kind="stable"),
            groups=groups,
            last_pk=int(pks.max()) if n else 0,
        )

    def features(self, rows: np.ndarray | None = None):
        """(row, bucket, tf) triples of some rows (all by default), rows renumbered 0..k-1."""
        if rows is None:
            rows = np.arange(self.n)
        starts = self.fwd_indptr[rows]
        lens = self.fwd_indptr[rows + 1] - starts
        total = int(lens.sum())
        firsts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
        pos = np.repeat(starts - firsts, lens) + np.arange(total)
        return (
            np.repeat(np.arange(len(rows)), lens),
            np.asarray(self.fwd_terms[pos]),
            np.asarray(self.fwd_tf[pos]),
        )

    def area_runs(self, within: np.ndarray) -> np.ndarray | None:
        """The rows whose group is True in `within`, as sorted [lo, hi) runs (an
        int32 array lo0, hi0, lo1, hi1, ...); None when they scatter into more
        than MAX_AREA_RUNS runs (the caller then walks whole postings and filters)."""
        keys = np.flatnonzero(within)
        lo = np.searchsorted(self.groups, keys, side="left")
        hi = np.searchsorted(self.groups, keys, side="right")
        held = hi > lo
        lo, hi = lo[held], hi[held]
        if not len(lo):
            return np.zeros(0, np.int32)
        # groups absent from the segment lie between: adjacent runs join
        first = np.ones(len(lo), dtype=bool)
        first[1:] = lo[1:] != hi[:-1]
        starts = np.flatnonzero(first)
        if len(starts) > MAX_AREA_RUNS:
            return None
        ends = np.append(starts[1:], len(lo)) - 1
        return np.column_stack([lo[starts], hi[ends]]).ravel().astype(np.int32)

    def rows_of(self, doc_id: int) -> np.ndarray:
        lo = np.searchsorted(self.doc_ids, doc_id, sorter=self.by_doc, side="left")
        hi = np.searchsorted(self.doc_ids, doc_id, sorter=self.by_doc, side="right")
        return self.by_doc[lo:hi]

    def rows_of_many(self, doc_ids: np.ndarray) -> np.ndarray:
        if not self.n or not len(doc_ids):
            return np.zeros(0, np.int64)
        return np.flatnonzero(np.isin(self.doc_ids, doc_ids))

    def save(self, directory: Path, meta: dict, tail: bool = False, extra=None) -> None:
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=directory.name + ".", dir=directory.parent))
        for name in self.TAIL_ARRAYS if tail else self.ARRAYS:
            np.save(tmp / f"{name}.npy", getattr(self, name))
        for name, array in (extra or {}).items():
            np.save(tmp / f"{name}.npy", array)
        (tmp / "meta.json").write_text(
            json.dumps({**meta, "last_pk": self.last_pk, "n": self.n, "format": FORMAT})
        )
        old = None
        if directory.exists():
            old = directory.with_name(directory.name + f".old{os.getpid()}")
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, under: Base | None = None) -> tuple[Base, dict]:
        meta = json.loads((directory / "meta.json").read_text())
        names = cls.TAIL_ARRAYS if under is not None else cls.ARRAYS
        # plain ndarray views of the maps: slicing a np.memmap builds a memmap
        # object each time (~10 us), and a query slices a hundred times
        arrays = {n: np.asarray(np.load(directory / f"{n}.npy", mmap_mode="r")) for n in names}
        if under is not None:
            arrays["idf"] = under.idf
        return cls(**arrays, last_pk=int(meta["last_pk"])), meta


def _cap(n: int) -> int:
    return max(DF_CAP_MIN, int(DF_CAP_RATIO * n))


@dataclass
class Delta:
    doc_ids: list[int] = field(default_factory=list)
    row_pks: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)
    terms: list[np.ndarray] = field(default_factory=list)
    tf: list[np.ndarray] = field(default_factory=list)
    norm: list[float] = field(default_factory=list)
    postings: dict[int, list[int]] = field(default_factory=dict)
    pks: dict[int, int] = field(default_factory=dict)  # search-table key -> doc_id
    rows_by_doc: dict[int, list[int]] = field(default_factory=dict)


class DuplicateIndex:
    """Base + tail + delta for one doc_type. Thread-safe (one lock per index)."""

    def __init__(self, base: Base | None = None, tail: Base | None = None):
        self.base = base or Base.empty()
        self.tail = tail or Base.from_features(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.uint32),
            np.zeros(0, np.uint8),
            under=self.base,
        )
        self.delta = Delta()
        self.base_dead = np.zeros(self.base.n, dtype=bool)
        self.tail_dead = np.zeros(self.tail.n, dtype=bool)
        self.delta_dead: set[int] = set()
        self.last_pk = max(self.base.last_pk, self.tail.last_pk)
        self.lock = threading.RLock()
        self._acc = np.zeros(self.base.n, dtype=np.float32)
        self._tail_acc = np.zeros(self.tail.n, dtype=np.float32)
        self._cap = _cap(self.base.n + self.tail.n)

    def __len__(self) -> int:
        return (
            self.base.n
            - int(self.base_dead.sum())
            + self.tail.n
            - int(self.tail_dead.sum())
            + len(self.delta.doc_ids)
            - len(self.delta_dead)
        )

    # -- writing --
    def forget(self, doc_id: int) -> None:
        with self.lock:
            self.base_dead[self.base.rows_of(doc_id)] = True
            self.tail_dead[self.tail.rows_of(doc_id)] = True
            self.delta_dead.update(self.delta.rows_by_doc.get(doc_id, ()))

    def add_tokens(self, doc_id: int, tokens: str, pk: int = 0, group: int | None = 0) -> None:
        with self.lock:
            if pk and self.delta.pks.get(pk) == doc_id:
                return
            self.forget(doc_id)
            _, b, tf = features_from_tokens([tokens])
            idf = self._idf_of(b)
            w = (1 + np.log(tf.astype(np.float32))) * idf
            i = len(self.delta.doc_ids)
            self.delta.doc_ids.append(int(doc_id))
            self.delta.row_pks.append(int(pk))
            self.delta.groups.append(int(group or 0))
            self.delta.rows_by_doc.setdefault(int(doc_id), []).append(i)
            self.delta.terms.append(b)
            self.delta.tf.append(tf)
            self.delta.norm.append(max(float(np.sqrt((w.astype(np.float64) ** 2).sum())), 1e-6))
            for t in b.tolist():
                self.delta.postings.setdefault(t, []).append(i)
            if pk:
                self.delta.pks[pk] = int(doc_id)
                self.last_pk = max(self.last_pk, pk)
            if len(self.delta.doc_ids) > DELTA_FOLD:
                self.fold()

    def add_rows(self, rows: list[tuple[int, int, str, int | None]]) -> None:
        """Many (pk, doc_id, tokens, group) at once (a catch-up): straight into the tail
        when they would overflow the delta."""
        with self.lock:
            if len(rows) + len(self.delta.doc_ids) <= DELTA_FOLD:
                for pk, doc_id, tok, group in rows:
                    self.add_tokens(doc_id, tok, pk=pk, group=group)
                return
            self.fold(rows)

    def fold(self, rows: list[tuple[int, int, str, int | None]] = ()) -> int:
        """Merge the live tail rows, the delta and `rows` into a new numpy tail.
        Returns the number of documents that went in from the delta and rows."""
        with self.lock:
            d = self.delta
            # newest version of each document wins: later rows, then the delta, then the tail
            new_ids = np.array([r[1] for r in rows], dtype=np.int64)
            if len(new_ids):
                _, last = np.unique(new_ids[::-1], return_index=True)
                keep_rows = np.sort(len(new_ids) - 1 - last)
                rows = [rows[i] for i in keep_rows]
                new_ids = new_ids[keep_rows]
                self.base_dead[self.base.rows_of_many(new_ids)] = True
                self.tail_dead[self.tail.rows_of_many(new_ids)] = True
                newer = set(new_ids.tolist())
                for doc_id in newer & d.rows_by_doc.keys():
                    self.delta_dead.update(d.rows_by_doc[doc_id])
            live_tail = np.flatnonzero(~self.tail_dead)
            t_docs, t_b, t_tf = self.tail.features(live_tail)
            parts_doc, parts_b, parts_tf = [t_docs], [t_b], [t_tf]
            ids = [np.asarray(self.tail.doc_ids[live_tail])]
            pks = [np.asarray(self.tail.pks[live_tail])]
            groups = [np.asarray(self.tail.groups[live_tail])]
            offset = len(live_tail)
            live_delta = [i for i in range(len(d.doc_ids)) if i not in self.delta_dead]
            for i in live_delta:
                parts_doc.append(np.full(len(d.terms[i]), offset, np.int64))
                parts_b.append(d.terms[i])
                parts_tf.append(d.tf[i])
                offset += 1
            ids.append(np.array([d.doc_ids[i] for i in live_delta], np.int64))
            pks.append(np.array([d.row_pks[i] for i in live_delta], np.int64))
            groups.append(np.array([d.groups[i] for i in live_delta], np.int64))
            if rows:
                r_docs, r_b, r_tf = features_from_tokens([r[2] for r in rows])
                parts_doc.append(r_docs + offset)
                parts_b.append(r_b)
                parts_tf.append(r_tf)
                ids.append(new_ids)
                pks.append(np.array([r[0] for r in rows], np.int64))
                groups.append(np.array([r[3] or 0 for r in rows], np.int64))
            pk_arr = np.concatenate(pks)
            self.tail = Base.from_features(
                np.concatenate(ids),
                pk_arr,
                np.concatenate(parts_doc),
                np.concatenate(parts_b).astype(np.uint32),
                np.concatenate(parts_tf).astype(np.uint8),
                under=self.base,
                groups=np.concatenate(groups),
            )
            self.tail_dead = np.zeros(self.tail.n, dtype=bool)
            self._tail_acc = np.zeros(self.tail.n, dtype=np.float32)
            self._cap = _cap(self.base.n + self.tail.n)
            self.delta = Delta()
            self.delta_dead = set()
            if len(pk_arr):
                self.last_pk = max(self.last_pk, int(pk_arr.max()))
            return len(live_delta) + len(rows)

    def _idf_of(self, buckets: np.ndarray) -> np.ndarray:
        # IDF is frozen with the base, so base, tail and delta scores compare; a
        # term never seen by the base gets the highest weight.
        return self.base.idf[buckets]

    # -- reading --
    def query_tokens(
        self,
        tokens: str,
        k: int = 10,
        exclude: int | None = None,
        group: int | None = None,
        within: np.ndarray | None = None,
    ):
        """[(doc_id, cosine)], best first: ranked by the cosine plus GROUP_BOOST
        for a document of the query's group. `within`: a boolean table by group key;
        only documents whose group is True in it are candidates."""
        _, qb, qtf = features_from_tokens([tokens])
        if not len(qb):
            return []
        with self.lock:
            idf = self._idf_of(qb)
            qw = (1 + np.log(qtf.astype(np.float32))) * idf
            qw = qw / max(float(np.linalg.norm(qw)), 1e-6)
            rare_first = np.argsort(-idf, kind="stable")[:MAX_QUERY_TERMS]
            results: list[tuple[float, int, int]] = []
            results += _query_segment(
                self.base, self._acc, self.base_dead, qb, qw, rare_first, group, within
            )
            results += _query_segment(
                self.tail, self._tail_acc, self.tail_dead, qb, qw, rare_first, group, within
            )
            results += self._query_delta(qb, qw, rare_first, within)
        best: dict[int, tuple[float, float]] = {}
        for score, doc_id, doc_group in results:
            if doc_id == exclude:
                continue
            rank = score + (GROUP_BOOST if group and doc_group == group else 0.0)
            if rank > best.get(doc_id, (0.0, 0.0))[0]:
                best[doc_id] = (rank, score)
        top = sorted(best.items(), key=lambda kv: -kv[1][0])[:k]
        return [(doc_id, score) for doc_id, (_, score) in top]

    def _query_delta(self, qb, qw, rare_first, within=None) -> list[tuple[float, int]]:
        d = self.delta
        if not d.doc_ids:
            return []
        hits: Counter = Counter()
        df = self.base.df[qb] + self.tail.df[qb]
        for j in rare_first.tolist():
            if df[j] > self._cap:  # common terms find no candidates (as in the base)
                continue
            plist = d.postings.get(int(qb[j]))
            if plist:
                hits.update(plist)
        if within is not None:
            inside = _inside(within, np.array(d.groups, dtype=np.int64))
            hits = Counter({i: n for i, n in hits.items() if inside[i]})
        cand = [i for i, _ in hits.most_common(CANDIDATES) if i not in self.delta_dead]
        if not cand:
            return []
        terms = np.concatenate([d.terms[i] for i in cand])
        tf = np.concatenate([d.tf[i] for i in cand])
        lens = np.array([len(d.terms[i]) for i in cand], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
        norms = np.array([d.norm[i] for i in cand], dtype=np.float32)
        scores = _cosine(qb, qw, terms, tf, starts, lens, self.base.idf, norms)
        return list(
            zip(
                scores.tolist(),
                [d.doc_ids[i] for i in cand],
                [d.groups[i] for i in cand],
                strict=True,
            )
        )


def _inside(within: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """within[groups], False for a group key beyond the table (a place added since)."""
    ok = groups < len(within)
    out = np.zeros(len(groups), dtype=bool)
    out[ok] = within[groups[ok]]
    return out


def _query_segment(
    seg: Base, acc, dead, qb, qw, rare_first, group=None, within=None
) -> list[tuple[float, int, int]]:
    if seg.n == 0:
        return []
    runs = seg.area_runs(within) if within is not None else None
    if runs is not None:
        if not len(runs):
            return []
        within = None  # every row read below is inside
        one_run = len(runs) == 2
    touched = []
    read = 0
    for j in rare_first.tolist():
        t = int(qb[j])
        s, e = int(seg.post_indptr[t]), int(seg.post_indptr[t + 1])
        if s == e:
            continue
        if runs is None:
            plist = seg.post_docs[s:e]
        else:  # the area's slices of this term's postings (rows ascending)
            plist = seg.post_docs[s:e]
            cut = np.searchsorted(plist, runs)
            if one_run:
                plist = plist[cut[0] : cut[1]]
            else:
                plist = np.concatenate([plist[a:b] for a, b in cut.reshape(-1, 2).tolist()])
            if not len(plist):
                continue
        # index arrays are cast to intp on each use: cast once, read acc once
        # (a third less time at 1M documents than acc[docs] twice and +=)
        docs = plist.astype(np.intp)
        vals = acc[docs]
        # a document's first term: its accumulator is still 0 (weights are > 0),
        # so `touched` lists each document once without sorting
        touched.append(docs[vals == 0.0])
        # within one term each document appears once, so the write-back is exact
        vals += qw[j] * seg.idf[t]
        acc[docs] = vals
        read += len(docs)
        if read >= POSTINGS_BUDGET:
            break
    if not touched:
        return []
    cand = np.concatenate(touched)
    partial = acc[cand] / seg.norm[cand]
    acc[cand] = 0.0
    if within is not None:  # before choosing: the best inside, not the best anywhere
        inside = _inside(within, seg.groups[cand])
        cand, partial = cand[inside], partial[inside]
        if not len(cand):
            return []
    if group:  # the query's place also counts when choosing the candidates
        partial += GROUP_BOOST * (seg.groups[cand] == group)
    if len(cand) > CANDIDATES:
        cand = cand[np.argpartition(-partial, CANDIDATES)[:CANDIDATES]]
    cand = cand[~dead[cand]]
    if not len(cand):
        return []
    starts = seg.fwd_indptr[cand]
    lens = seg.fwd_indptr[cand + 1] - starts
    scores = _cosine(qb, qw, seg.fwd_terms, seg.fwd_tf, starts, lens, seg.idf, seg.norm[cand])
    return list(
        zip(scores.tolist(), seg.doc_ids[cand].tolist(), seg.groups[cand].tolist(), strict=True)
    )


def _cosine(qb, qw, terms, tfs, starts, lens, idf, norms) -> np.ndarray:
    """Exact cosine of the query against documents given as slices of a CSR."""
    total = int(lens.sum())
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    pos = offsets + np.arange(total)
    t = terms[pos]
    owner = np.repeat(np.arange(len(lens)), lens)
    qpos = np.searchsorted(qb, t)
    qpos[qpos >= len(qb)] = 0
    hit = qb[qpos] == t
    w = (1 + np.log(tfs[pos][hit].astype(np.float32))) * idf[t[hit]] * qw[qpos[hit]]
    dots = np.bincount(owner[hit], weights=w, minlength=len(lens))
    return (dots / norms).astype(np.float32)


# --- per-process registry, persistence and catch-up ---------------------------

_indexes: dict[str, DuplicateIndex] = {}
_state: dict[str, dict] = {}
_registry_lock = threading.Lock()


def _model_dir() -> Path:
    from django.conf import settings

    return Path(getattr(settings, "TEXTINTEL_DIR", settings.VAR_DIR / "models"))


def _db_key() -> str:
    import hashlib

    from django.db import connection

    raw = f"{connection.vendor}:{connection.settings_dict.get('NAME')}"
    return hashlib.sha1(raw.encode()).hexdigest()[:10]


def _snapshot_dir(doc_type: str) -> Path:
    return _model_dir() / f"dup-{doc_type}-{_db_key()}"


def _tail_dir(doc_type: str) -> Path:
    return _model_dir() / f"dup-{doc_type}-{_db_key()}-tail"


def _snapshot_mtime(doc_type: str) -> float:
    times = []
    for d in (_snapshot_dir(doc_type), _tail_dir(doc_type)):
        try:
            times.append((d / "meta.json").stat().st_mtime)
        except OSError:
            pass
    return max(times, default=0.0)


def _row_exists(doc_type: str, pk, doc_id) -> bool:
    from .models import SearchDocument

    return SearchDocument.objects.filter(pk=pk, doc_type=doc_type, doc_id=doc_id).exists()


def _snapshot_valid(meta: dict) -> bool:
    """The saved base belongs to this database if its last row is still there."""
    from .models import SearchDocument

    if meta.get("format") != FORMAT:
        return False
    if not meta.get("last_pk"):
        return not SearchDocument.objects.filter(doc_type=meta["doc_type"]).exists()
    return _row_exists(meta["doc_type"], meta["last_pk"], meta["last_doc_id"])


def _row_mark(doc_type: str, pk: int) -> tuple[int, str] | None:
    """(doc_id, sha1 of the tokens) of one search-table row: what says that a
    saved base was built from this data (a copied database has another name)."""
    import hashlib

    from .models import SearchDocument

    row = (
        SearchDocument.objects.filter(pk=pk, doc_type=doc_type)
        .values_list("doc_id", "tokens")
        .first()
    )
    if row is None:
        return None
    return int(row[0]), hashlib.sha1(row[1].encode()).hexdigest()


def _copy_meta(doc_type: str, last_pk: int) -> dict:
    """What a copy of this database checks before it takes the saved base as its own."""
    mark = _row_mark(doc_type, last_pk) if last_pk else None
    return {"last_tokens_sha1": mark[1] if mark else None}


def _built_from_this_data(doc_type: str, meta: dict) -> bool:
    """A base saved for another database (another name: a copy, a restored
    backup) holds exactly this database's rows up to its last key: the same last
    row (key, document and, when the base recorded them, tokens) and as many rows
    up to it."""
    from .models import SearchDocument

    if meta.get("format") != FORMAT or not meta.get("last_pk"):
        return False
    mark = _row_mark(doc_type, meta["last_pk"])
    if mark is None or mark[0] != meta.get("last_doc_id"):
        return False
    if meta.get("last_tokens_sha1") not in (None, mark[1]):
        return False
    rows = SearchDocument.objects.filter(doc_type=doc_type, pk__lte=meta["last_pk"]).count()
    return rows == meta.get("n")


def _adopt_copy(doc_type: str) -> bool:
    """This database has no saved base, but another database's base in the same
    directory was built from the same rows (the database was copied or restored
    under another name): take it as this database's own, hard links to the same
    files (no copy of the arrays), instead of rebuilding from every row. Its tail
    is not taken: the catch-up reads the rows after the base."""
    directory = _snapshot_dir(doc_type)
    parent = directory.parent
    if not parent.is_dir():
        return False
    prefix = f"dup-{doc_type}-"
    for other in sorted(parent.iterdir()):
        name = other.name
        if (
            other == directory
            or not name.startswith(prefix)
            or name.endswith("-tail")
            or "." in name  # a save's temporary or old directory
        ):
            continue
        try:
            meta = json.loads((other / "meta.json").read_text())
        except (OSError, ValueError):
            continue
        if not _built_from_this_data(doc_type, meta):
            continue
        tmp = Path(tempfile.mkdtemp(prefix=directory.name + ".", dir=parent))
        try:
            for f in other.iterdir():
                try:
                    os.link(f, tmp / f.name)
                except OSError:  # another file system: a real copy
                    shutil.copy2(f, tmp / f.name)
            os.replace(tmp, directory)
        except OSError:  # another process took it first, or the files went away
            shutil.rmtree(tmp, ignore_errors=True)
            if not (directory / "meta.json").exists():
                continue
        log.info("textintel: took the %s index saved as %s (same rows)", doc_type, name)
        return True
    return False


def rebuild(doc_type: str, save: bool = True) -> DuplicateIndex:
    """Build the base from the search table (keyset pages of 50,000 rows)."""

    t0 = time.perf_counter()
    # features page by page: the token strings of a million rows never sit in memory at once
    pks, doc_ids, docs, buckets, tfs, groups = [], [], [], [], [], []
    last, n = 0, 0
    while True:
        page, last = _rows_after(doc_type, last, 50_000)
        if last is None:
            break
        if not page:
            continue
        d, b, tf = features_from_tokens([r[2] for r in page])
        pks.append(np.fromiter((r[0] for r in page), dtype=np.int64, count=len(page)))
        doc_ids.append(np.fromiter((r[1] for r in page), dtype=np.int64, count=len(page)))
        groups.append(np.fromiter((r[3] or 0 for r in page), dtype=np.int64, count=len(page)))
        docs.append(d + n)
        buckets.append(b)
        tfs.append(tf)
        n += len(page)

    def cat(parts, dtype):
        return np.concatenate(parts) if parts else np.zeros(0, dtype)

    doc_ids_arr = cat(doc_ids, np.int64)
    base = Base.from_features(
        doc_ids_arr,
        cat(pks, np.int64),
        cat(docs, np.int64),
        cat(buckets, np.uint32),
        cat(tfs, np.uint8),
        groups=cat(groups, np.int64),
    )
    index = DuplicateIndex(base)
    if save:
        meta = {
            "doc_type": doc_type,
            "last_doc_id": int(doc_ids_arr[-1]) if len(doc_ids_arr) else None,
            **_copy_meta(doc_type, base.last_pk),
        }
        try:
            shutil.rmtree(_tail_dir(doc_type), ignore_errors=True)
            base.save(_snapshot_dir(doc_type), meta)
        except OSError:
            log.exception("textintel: could not save the duplicate index")
    log.info(
        "textintel: rebuilt %s index, %d docs in %.1fs", doc_type, base.n, time.perf_counter() - t0
    )
    return index


def _load_tail(doc_type: str, base: Base) -> tuple[Base, np.ndarray] | None:
    directory = _tail_dir(doc_type)
    if not (directory / "meta.json").exists():
        return None
    try:
        tail, meta = Base.load(directory, under=base)
    except (OSError, ValueError, KeyError):
        log.exception("textintel: unreadable duplicate tail, ignoring it")
        return None
    if meta.get("format") != FORMAT or meta.get("base_last_pk") != base.last_pk:
        return None
    if tail.n and not _row_exists(doc_type, meta["last_pk"], meta["last_doc_id"]):
        return None
    try:  # base rows whose document has a newer version in the tail
        dead = np.load(directory / "base_dead.npy")
    except OSError:
        dead = np.zeros(0, np.int64)
    return tail, dead


def _load_or_rebuild(doc_type: str) -> DuplicateIndex:
    directory = _snapshot_dir(doc_type)
    if (directory / "meta.json").exists() or _adopt_copy(doc_type):
        try:
            base, meta = Base.load(directory)
            if _snapshot_valid({**meta, "doc_type": doc_type}):
                _state[doc_type] = {"loaded": _snapshot_mtime(doc_type)}
                loaded = _load_tail(doc_type, base)
                if loaded is None:
                    return DuplicateIndex(base)
                index = DuplicateIndex(base, loaded[0])
                index.base_dead[loaded[1][loaded[1] < base.n]] = True
                return index
        except (OSError, ValueError, KeyError):
            log.exception("textintel: unreadable duplicate index, rebuilding")
    index = rebuild(doc_type)
    _state[doc_type] = {"loaded": _snapshot_mtime(doc_type)}
    return index


def get_index(doc_type: str, catch_up: bool = True) -> DuplicateIndex:
    index = _indexes.get(doc_type)
    if index is None:
        with _registry_lock:
            index = _indexes.get(doc_type)
            if index is None:
                index = _indexes[doc_type] = _load_or_rebuild(doc_type)
    if catch_up:
        index = _catch_up(doc_type, index)
    return index


def _catch_up(doc_type: str, index: DuplicateIndex) -> DuplicateIndex:
    """Read rows other processes added; pick up a newer saved base or tail."""

    state = _state.setdefault(doc_type, {"loaded": 0})
    now = time.monotonic()
    if now - state.get("snap_checked", 0) > SNAPSHOT_CHECK_EVERY:
        state["snap_checked"] = now
        if _snapshot_mtime(doc_type) > state.get("loaded", 0):
            with _registry_lock:
                _indexes.pop(doc_type, None)
            return get_index(doc_type)
    # other processes' new rows are looked for at most every CATCH_UP_EVERY
    # seconds (a query saved on most suggestions); this process's own writes
    # (search.index_documents calls `written`) at once
    if not state.pop("dirty", False) and now - state.get("read_at", -1e9) < CATCH_UP_EVERY:
        return index
    state["read_at"] = now
    since = index.last_pk
    if now - state.get("lookback_at", 0) > LOOKBACK_EVERY:
        state["lookback_at"] = now
        since = max(0, since - LOOKBACK)
    while True:
        new, last = _rows_after(doc_type, since, CATCH_UP_PAGE)
        if last is None:
            break
        if since < index.last_pk:  # a look-back: skip rows already held
            known = set(index.base.pks[index.base.pks > since].tolist())
            known.update(index.tail.pks[index.tail.pks > since].tolist())
            new = [r for r in new if r[0] not in known and index.delta.pks.get(r[0]) != r[1]]
        if new:
            index.add_rows(new)
        # rows of other doc types move the mark too
        index.last_pk = max(index.last_pk, last)
        since = last
    return index


def _rows_after(
    doc_type: str, since: int, limit: int
) -> tuple[list[tuple[int, int, str, int | None]], int | None]:
    """Rows of doc_type among the `limit` rows above a key, and the last key
    read (None when there were none). By the primary key alone: a filter on
    doc_type would lead the planner to the (doc_type, doc_id) index and a sort
    of every row."""
    from django.db import connection

    from .models import SearchDocument

    table = SearchDocument._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id, doc_id, tokens, doc_type, group_key FROM {table} "
            "WHERE id > %s ORDER BY id LIMIT %s",
            [since, limit],
        )
        rows = cur.fetchall()
    if not rows:
        return [], None
    return [(pk, d, tok, g) for pk, d, tok, t, g in rows if t == doc_type], rows[-1][0]


def written(doc_type: str) -> None:
    """This process wrote to the search table: catch up on the next query."""
    _state.setdefault(doc_type, {"loaded": 0})["dirty"] = True


def add(doc_type: str, doc_id: int, text: str, group: int | None = None) -> None:
    """Index a document now in this process (the search table gets it through
    search.index_documents; this makes it findable before the next catch-up)."""
    get_index(doc_type, catch_up=False).add_tokens(int(doc_id), bigram_tokens(text), group=group)


def forget(doc_type: str, doc_id: int) -> None:
    index = _indexes.get(doc_type)
    if index is not None:
        index.forget(int(doc_id))


def find(
    doc_type: str,
    text: str,
    k: int = 10,
    exclude: int | None = None,
    group: int | None = None,
    within: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """[(doc_id, cosine)] of the k most similar stored documents, best first
    (those of `group` ranked up by GROUP_BOOST; only groups True in `within`)."""
    return get_index(doc_type).query_tokens(
        bigram_tokens(text), k=k, exclude=exclude, group=group, within=within
    )


def refresh(doc_type: str | None = None, force: bool = False) -> dict:
    """Periodic job: append the documents that arrived since the last run to the
    saved tail (cost: the new documents and the tail, not the base); rebuild the
    base only when the tail outgrows TAIL_REBUILD_RATIO of it (or with `force`).
    Idempotent: a second run finds nothing to append."""
    from .models import SearchDocument

    if doc_type:
        types = [doc_type]
    else:
        types = list(
            SearchDocument.objects.order_by().values_list("doc_type", flat=True).distinct()
        )
    out = {}
    for t in types:
        index = get_index(t)
        after_base = index.tail.n + len(index.delta.doc_ids)
        if force or after_base > max(TAIL_REBUILD_MIN, TAIL_REBUILD_RATIO * index.base.n):
            with _registry_lock:
                _indexes[t] = index = rebuild(t)
                _state[t] = {"loaded": _snapshot_mtime(t), "snap_checked": time.monotonic()}
            out[t] = {"rebuilt": True, "documents": index.base.n}
            continue
        saved = _saved_tail_last_pk(t)
        with index.lock:
            pending = len(index.delta.doc_ids)
            if not pending and saved == index.tail.last_pk:
                out[t] = {"rebuilt": False, "appended": 0, "tail": index.tail.n}
                continue
            index.fold()
            meta = {
                "doc_type": t,
                "base_last_pk": index.base.last_pk,
                "last_doc_id": (
                    int(index.tail.doc_ids[np.argmax(index.tail.pks)]) if index.tail.n else None
                ),
            }
            try:
                index.tail.save(
                    _tail_dir(t),
                    meta,
                    tail=True,
                    extra={"base_dead": np.flatnonzero(index.base_dead)},
                )
            except OSError:
                log.exception("textintel: could not save the duplicate tail")
            _state[t] = {"loaded": _snapshot_mtime(t), "snap_checked": time.monotonic()}
        out[t] = {"rebuilt": False, "appended": pending, "tail": index.tail.n}
    return out


def _saved_tail_last_pk(doc_type: str) -> int | None:
    try:
        meta = json.loads((_tail_dir(doc_type) / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    return int(meta.get("last_pk", 0))


def reset() -> None:
    """Drop the in-process indexes (tests, after a database switch)."""
    with _registry_lock:
        _indexes.clear()
        _state.clear()
