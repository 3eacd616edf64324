"""The performance targets, copied from DESIGN §10 ("What 'good' means in numbers").

Encoded here rather than parsed from the design document, which CI and users do
not have. Each target names the figure it is checked against (a key of the
run's "figures") and how: ">=" (at least) or "<" (under). Ratios are against a
baseline measured in the same run.

DESIGN §10:
- public submission throughput at least half of the same server's /healthz;
  no acknowledged submission ever lost;
- staff inbox, list, search and dashboard pages at 1,000,000 cases: p95 under
  100 ms server time on SQLite and PostgreSQL;
- duplicate and category/unit suggestion for a new case: under 10 ms at
  1,000,000 stored cases;
- the nightly periodic run over 1,000,000 cases and 100,000 commitments: under
  60 s, and idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

DATABASES = ("sqlite", "postgresql")
PAGES = ("inbox", "list", "search", "case", "dashboard")


@dataclass(frozen=True)
class Target:
    name: str
    figure: str  # dotted path into figures
    op: str  # ">=", "<", "=="
    target: float | bool
    unit: str = ""

    def check(self, value) -> bool | None:
        if value is None:
            return None
        if self.op == ">=":
            return value >= self.target
        if self.op == "<":
            return value < self.target
        return value == self.target


def all_targets() -> list[Target]:
    targets: list[Target] = []
    for db in DATABASES:
        targets.append(
            Target(
                f"{db}: submission throughput / healthz throughput",
                f"{db}.throughput.ratio",
                ">=",
                0.5,
            )
        )
        targets.append(
            Target(
                f"{db}: acknowledged submissions lost or stored twice (worker killed)",
                f"{db}.no_loss.lost_or_doubled",
                "==",
                0,
            )
        )
        for page in PAGES:
            targets.append(
                Target(
                    f"{db}: {page} page p95 server time",
                    f"{db}.pages.{page}.p95_ms",
                    "<",
                    100,
                    "ms",
                )
            )
        targets.append(
            Target(
                f"{db}: duplicate + category/unit suggestion p95",
                f"{db}.suggest.p95_ms",
                "<",
                10,
                "ms",
            )
        )
        targets.append(Target(f"{db}: periodic run", f"{db}.periodic.seconds", "<", 60, "s"))
        targets.append(
            Target(
                f"{db}: periodic run idempotent (second run changes nothing)",
                f"{db}.periodic.idempotent",
                "==",
                True,
            )
        )
    return targets


def lookup(figures: dict, dotted: str):
    node = figures
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def evaluate(figures: dict) -> list[dict]:
    """[{"name", "target", "value", "met"}]; met is null when the figure was not measured."""
    rows = []
    for t in all_targets():
        value = lookup(figures, t.figure)
        rows.append(
            {
                "name": t.name,
                "target": f"{t.op} {t.target}{(' ' + t.unit) if t.unit else ''}",
                "value": value,
                "met": t.check(value),
            }
        )
    return rows
