"""Forms parse input into typed values; the rules live in services."""

from __future__ import annotations

from django import forms

from orgs.models import OrgNode
from taxonomy.models import Category

from .models import WEEKDAYS, HolidayRule, Kind, ProblemLevel, RectificationProblem


class _UnitLabel:
    """镇名+村名 for villages, from one query for the towns (not one per option)."""

    _towns: dict[str, str] | None = None

    def label_from_instance(self, obj: OrgNode) -> str:
        if obj.kind != OrgNode.Kind.VILLAGE:
            return obj.name
        if self._towns is None:
            self._towns = dict(
                OrgNode.objects.filter(kind=OrgNode.Kind.TOWN).values_list("path", "name")
            )
        return self._towns.get(obj.path[: -OrgNode.steplen], "") + obj.name


class UnitChoice(_UnitLabel, forms.ModelChoiceField):
    pass


class UnitsChoice(_UnitLabel, forms.ModelMultipleChoiceField):
    pass


class CommitmentForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=Kind.choices)
    title = forms.CharField(
        label="项目名称", max_length=200, error_messages={"required": "请填写项目名称"}
    )
    tasks = forms.CharField(label="主要内容", widget=forms.Textarea, required=False)
    lead_official = forms.CharField(label="牵头领导", max_length=60, required=False)
    owner_unit = UnitChoice(
        label="责任单位",
        queryset=OrgNode.objects.none(),
        error_messages={"required": "请选择责任单位"},
    )
    co_units = UnitsChoice(
        label="配合单位",
        queryset=OrgNode.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    deadline = forms.DateField(
        label="完成时限", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    target_quantity = forms.DecimalField(label="目标数量", required=False, min_value=0)
    target_unit = forms.CharField(label="计量单位", max_length=12, required=False)
    budget = forms.DecimalField(label="预算(万元)", required=False, min_value=0)
    category = forms.ModelChoiceField(
        label="类别", queryset=Category.objects.select_related("aspect"), required=False
    )
    is_flagship = forms.BooleanField(label="重点项目", required=False)
    problem = forms.ModelChoiceField(
        label="检视问题（整改措施）", queryset=RectificationProblem.objects.none(), required=False
    )
    is_immediate = forms.BooleanField(label="立行立改", required=False)
    responsible_person = forms.CharField(label="责任人", max_length=60, required=False)

    def __init__(self, *args, units=None, problems=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["owner_unit"].queryset = units
            self.fields["co_units"].queryset = units
        if problems is not None:
            self.fields["problem"].queryset = problems


class ProblemForm(forms.Form):
    level = forms.ChoiceField(label="层级", choices=ProblemLevel.choices)
    text = forms.CharField(
        label="检视问题", max_length=300, error_messages={"required": "请填写检视问题"}
    )
    unit = UnitChoice(
        label="所属单位", queryset=OrgNode.objects.none(), error_messages={"required": "请选择单位"}
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units


class CompleteForm(forms.Form):
    note = forms.CharField(label="完成情况", widget=forms.Textarea)
    done_quantity = forms.DecimalField(label="实际完成数量", required=False, min_value=0)


class ReportForm(forms.Form):
    percent = forms.IntegerField(
        label="完成进度(%)",
        required=False,
        min_value=0,
        max_value=100,
        error_messages={
            "min_value": "完成进度应在0至100之间",
            "max_value": "完成进度应在0至100之间",
            "invalid": "请填写整数",
        },
    )
    done_quantity = forms.DecimalField(label="已完成数量", required=False, min_value=0)
    narrative = forms.CharField(
        label="进展情况", widget=forms.Textarea, error_messages={"required": "请填写进展情况"}
    )
    highlights = forms.CharField(
        label="亮点做法", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    problems = forms.CharField(
        label="存在问题", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    next_steps = forms.CharField(
        label="下步打算", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ProgrammeForm(forms.Form):
    name = forms.CharField(
        label="清单名称", max_length=120, error_messages={"required": "请填写清单名称"}
    )
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    description = forms.CharField(
        label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class CadenceForm(forms.Form):
    monthly_enabled = forms.BooleanField(label="启用月报", required=False)
    monthly_due_day = forms.IntegerField(label="月报截止日（每月）", min_value=1, max_value=31)
    weekly_enabled = forms.BooleanField(label="启用周报（牵头单位）", required=False)
    weekly_due_weekday = forms.TypedChoiceField(label="周报截止", choices=WEEKDAYS, coerce=int)
    holiday_rule = forms.ChoiceField(label="截止日遇节假日", choices=HolidayRule.choices)


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel台账（.xlsx）")
    partial = forms.BooleanField(
        label="只导入校验通过的行（默认：有错则全部不导入）", required=False
    )


def apply_errors(form: forms.Form, fields: dict[str, list[str]]) -> None:
    for name, msgs in fields.items():
        for m in msgs:
            form.add_error(name if name in form.fields else None, m)
