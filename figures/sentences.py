"""The seeds' sentences, written from records for a node and period.

A sentence is a list of parts: plain text, or a number with the link to the records
behind it. Pages render the links; the Word briefing renders the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from orgs.models import OrgNode

from . import selectors as sel
from .periods import Period


@dataclass(frozen=True)
class Num:
    value: int | float | None
    url: str = ""
    suffix: str = ""  # "%" for rates

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        if self.suffix == "%":
            return f"{self.value:.2f}%"
        return f"{self.value}"


Part = str | Num


def text_of(parts: list[Part]) -> str:
    return "".join(p.text if isinstance(p, Num) else p for p in parts)


def html_of(parts: list[Part]) -> SafeString:
    """The sentence for a page: a number with a value or a link as a link, the
    rest as escaped text (one pass in Python: in the template, each text part's
    failed `.value`/`.url` lookups cost more than the rest of the dashboard)."""
    out = []
    for p in parts:
        if isinstance(p, Num) and (p.value is not None or p.url):
            out.append(f'<a class="num" href="{escape(p.url)}">{escape(p.text)}</a>')
        else:
            out.append(conditional_escape(p.text if isinstance(p, Num) else p))
    return mark_safe("".join(out))  # noqa: S308 (every part escaped)


def activity_sentence(node: OrgNode, period: Period, a: dict | None = None) -> list[Part] | None:
    a = sel.activity_figures(node, period) if a is None else a
    if not a["totals"]["sessions"]:
        return None
    k = a["by_kind"]

    def url(kind=""):
        return sel.activity_list_url(node, period, kind)

    parts: list[Part] = [f"{period.label}，{node.name}"]
    pieces: list[list[Part]] = []
    if k["study"]["sessions"]:
        pieces.append(["开展集中学习", Num(k["study"]["sessions"], url("study")), "场次"])
    if k["lecture"]["sessions"]:
        pieces.append(
            [
                "开展宣讲",
                Num(k["lecture"]["sessions"], url("lecture")),
                "场次、受众",
                Num(k["lecture"]["people"], url("lecture")),
                "人次",
            ]
        )
    if k["training"]["sessions"]:
        pieces.append(
            [
                "举办培训班",
                Num(k["training"]["sessions"], url("training")),
                "期、培训党员干部",
                Num(k["training"]["participants"], url("training")),
                "人次",
            ]
        )
    if k["visit"]["sessions"]:
        pieces.append(["走访居民小组", Num(k["visit"]["groups"], url("visit")), "个"])
    if k["forum"]["sessions"]:
        pieces.append(["组织座谈会", Num(k["forum"]["sessions"], url("forum")), "场"])
    for i, piece in enumerate(pieces):
        parts.append("，" if i else "")
        parts.extend(piece)
    collect_url = sel.activity_list_url(node, period)
    t = a["totals"]
    if t["problems"] or t["suggestions"]:
        parts += [
            "，收集问题",
            Num(t["problems"], collect_url),
            "个、意见建议",
            Num(t["suggestions"], collect_url),
            "条",
        ]
    if sel.has_model("cases.Case") and a["cases_linked"]:
        parts += [
            "，已解决",
            Num(a["cases_resolved"], sel.case_list_url(node, period, "resolved", activity=1)),
            "件",
        ]
    parts.append("。")
    return parts


def case_sentence(node: OrgNode, period: Period, f: sel.Figures | None = None) -> list[Part] | None:
    f = sel.case_figures(node, period) if f is None else f
    s, r = f.sums, f.rates
    if not s["received"]:
        return None

    def u(measure):
        return sel.case_list_url(node, period, measure)

    who = "承办" if sel.axis_for(node) == "unit" else "共收到"
    parts: list[Part] = [
        f"{period.label}，{node.name}{who}群众诉求",
        Num(s["received"], u("received")),
        "件，受理",
        Num(s["accepted"], u("accepted")),
        "件，已办结",
        Num(s["resolved"], u("resolved")),
        "件，解决率达",
        Num(r["resolution"], u("resolved"), "%"),
    ]
    if r["on_time"] is not None:
        parts += ["，按时办结率", Num(r["on_time"], u("resolved_on_time"), "%")]
    if r["response"] is not None:
        parts += ["，响应率", Num(r["response"], u("signed_in_time"), "%")]
    if r["satisfaction"] is not None:
        parts += ["，群众满意率", Num(r["satisfaction"], u("satisfied"), "%")]
    if s["overdue"]:
        parts += ["；仍有", Num(s["overdue"], u("overdue")), "件超期未办结"]
    parts.append("。")
    return parts


def commitment_sentence(node: OrgNode, c: dict | None = None) -> list[Part] | None:
    if not sel.has_model("commitments.Commitment"):
        return None
    c = sel.commitment_figures(node) if c is None else c
    if not c["total"]:
        return None

    def u(**f):
        return sel.commitment_list_url(node, **f)

    parts: list[Part] = [
        f"{node.name}共承担“我为群众办实事”项目和任务",
        Num(c["total"], u()),
        "项，已完成",
        Num(c["finished"], u(state="finished")),
        "项（其中已验收",
        Num(c["accepted"], u(state="accepted")),
        "项、已销号",
        Num(c["closed"], u(state="closed")),
        "项），正在推进",
        Num(c["open"], u(state="open")),
        "项",
    ]
    if c["at_risk"] or c["overdue"]:
        parts += [
            "，其中预警",
            Num(c["at_risk"], u(status="at_risk")),
            "项、超期",
            Num(c["overdue"], u(status="overdue")),
            "项",
        ]
    parts.append("。")
    return parts


def rectification_sentence(node: OrgNode, c: dict | None = None) -> list[Part] | None:
    if not sel.has_model("commitments.Commitment"):
        return None
    rect = (sel.commitment_figures(node) if c is None else c)["rectification"]
    if not any(r["problems"] for r in rect):
        return None
    url = sel.commitment_list_url(node, kind="rectification")
    done_url = sel.commitment_list_url(node, kind="rectification", state="finished")
    parts: list[Part] = ["检视问题："]
    for i, r in enumerate(rect):
        parts += ["、" if i else "", r["label"], Num(r["problems"], url), "条"]
    parts.append("；制定整改措施：")
    for i, r in enumerate(rect):
        parts += ["、" if i else "", r["label"], Num(r["measures"], url), "条"]
    total = sum(r["done"] for r in rect)
    parts += ["，已完成整改", Num(total, done_url), "条。"]
    return parts


def all_sentences(
    node: OrgNode,
    period: Period,
    *,
    figures: sel.Figures | None = None,
    activities: dict | None = None,
    commitments: dict | None = None,
) -> list[list[Part]]:
    """The seeds' sentences; figures the page already read are passed in, not re-read
    (the commitment sentences use states and rectification, which no period changes)."""
    out = [
        activity_sentence(node, period, activities),
        case_sentence(node, period, figures),
        commitment_sentence(node, commitments),
        rectification_sentence(node, commitments),
    ]
    return [s for s in out if s]
