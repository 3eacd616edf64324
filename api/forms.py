from __future__ import annotations

from django import forms

from orgs import access
from orgs.models import OrgNode

from .importer import FIELDS

ALLOWED = (".csv", ".txt", ".xlsx", ".xlsm")
MAX_BYTES = 60 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label="文件（CSV 或 Excel .xlsx）")
    source = forms.CharField(
        label="来源",
        max_length=32,
        initial="12345",
        help_text="编号在同一来源内唯一，重复导入不会新增",
    )
    node = forms.ModelChoiceField(
        label="所在地",
        queryset=OrgNode.objects.none(),
        help_text="地点列找不到对应村（社区）时记在此处",
    )
    create_missing = forms.BooleanField(
        label="自动新建系统中没有的分类和承办单位（仅系统管理员）", required=False
    )
    check_only = forms.BooleanField(label="只检查，不写入", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = (
            access.visible_nodes(actor)
            .filter(kind__in=["province", "city", "county", "town", "village"])
            .order_by("path")
        )
        self.fields["node"].initial = actor.node_id
        for name, (default, aliases) in FIELDS.items():
            self.fields[f"col_{name}"] = forms.CharField(
                label=default,
                max_length=50,
                required=False,
                help_text="默认识别：" + "、".join((default, *aliases[:3])),
            )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(ALLOWED):
            raise forms.ValidationError("只支持 CSV 或 Excel（.xlsx）文件")
        if f.size > MAX_BYTES:
            raise forms.ValidationError("文件不能超过60MB，请分批导入")
        return f

    def mapping(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[f"col_{name}"].strip()
            for name in FIELDS
            if self.cleaned_data.get(f"col_{name}", "").strip()
        }
