"""Validation of the category suggester: what its settings were chosen on.

    .venv/bin/python bench/category_validation.py [--sizes 450 3000]

Everything here comes from the generator's *train* stream: training messages
from seed 7 (as the benchmark trains), validation messages from seed 8. To stand
for the phrasings a county's history never used, one template per category is
held out of training (template 0, then template 2; the figures are the mean)
and its validation messages are reported apart ("held"). `proxy` weighs seen
and held like the test stream's mix (82 % / 18 %). The benchmark's test stream
(seed 2026, textintel_bench.py) is never read here, and was not used to choose
anything.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOLDS = (0, 2)
UNSEEN_SHARE = 0.18


def _place(m: dict) -> list[str]:
    return [m["place"]["town"], m["place"]["code"]]


def validate(n_train: int, n_val: int = 3000) -> dict:
    from sklearn.metrics import f1_score

    from textintel import classify
    from textintel.tests import textgen

    rows = []
    for hold in HOLDS:
        train = [
            m
            for m in textgen.MessageGenerator(seed=7, split="train").messages(n_train)
            if m["template"] != hold
        ]
        val = textgen.MessageGenerator(seed=8, split="train").messages(n_val)
        classify.train(
            "category",
            [m["text"] for m in train],
            [m["category"] for m in train],
            places=[_place(m) for m in train],
            save=False,
        )
        top = classify.predict_many(
            "category", [m["text"] for m in val], [_place(m) for m in val], k=3
        )
        y = [m["category"] for m in val]
        p = [t[0]["id"] for t in top]
        held = [m["template"] == hold for m in val]
        ok = [a == b for a, b in zip(y, p, strict=True)]
        rows.append(
            {
                "seen": statistics.fmean(o for o, h in zip(ok, held, strict=True) if not h),
                "held": statistics.fmean(o for o, h in zip(ok, held, strict=True) if h),
                "macro_f1": f1_score(y, p, average="macro"),
                "top3": statistics.fmean(
                    a in [x["id"] for x in t] for a, t in zip(y, top, strict=True)
                ),
            }
        )
    out = {k: round(statistics.fmean(r[k] for r in rows), 4) for k in rows[0]}
    out["proxy"] = round((1 - UNSEEN_SHARE) * out["seen"] + UNSEEN_SHARE * out["held"], 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[450, 3000])
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "category-validation-scratch-key-" + "0" * 40)
    sys.path.insert(0, str(ROOT))
    result = {f"train_{n}": validate(n) for n in args.sizes}
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
