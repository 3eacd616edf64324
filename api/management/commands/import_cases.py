"""manage.py import_cases FILE [--node ID] [--create-missing] [--source 12345] [--map 内容=问题描述]"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from orgs.models import OrgNode, User


class Command(BaseCommand):
    help = "导入12345热线工单或台账（CSV 或 Excel），先逐行检查，全部无误才写入"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 或 .xlsx 文件")
        parser.add_argument("--node", help="所在地：组织节点的 id 或编码（默认：根节点）")
        parser.add_argument(
            "--create-missing", action="store_true", help="自动新建文件中系统没有的分类和承办单位"
        )
        parser.add_argument("--source", default="12345", help="来源名称（编号在同一来源内唯一）")
        parser.add_argument("--map", default="", help="列名对照，如 “内容=问题描述,编号=工单号”")
        parser.add_argument("--user", default="", help="以该用户的名义导入（默认：系统）")
        parser.add_argument("--check", action="store_true", help="只检查，不写入")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, **opts):
        from api import importer
        from api.services import cases_import, import_check_actor

        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        node = self._node(opts["node"])
        actor = None
        if opts["user"]:
            actor = User.objects.filter(username=opts["user"]).first()
            if actor is None:
                raise CommandError(f"没有用户 {opts['user']}")
        source = opts["source"].strip()[:32]
        if not source:
            raise CommandError("来源名称不能为空")
        try:
            mapping = importer.parse_mapping(opts["map"])
            import_check_actor(actor=actor, node=node, create_missing=opts["create_missing"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc

        started = time.monotonic()
        total = importer.count_rows(path)
        with self._bar(not opts["no_progress"]) as bar:
            task = bar.add_task("检查", total=total) if bar else None
            plan = importer.check_file(
                path,
                node=node,
                source=source,
                mapping=mapping,
                create_missing=opts["create_missing"],
                progress=(lambda n: bar.update(task, completed=n)) if bar else None,
            )
            if bar:
                bar.update(task, completed=total)
        checked = time.monotonic() - started
        self.stdout.write(
            f"共{plan.total}行：可导入{len(plan.rows)}行，已导入过（跳过）{plan.skipped}行，"
            f"错误{plan.error_count}处（检查用时{checked:.1f}秒）"
        )
        if plan.mapping:
            self.stdout.write(
                "列对照："
                + "，".join(f"{importer.FIELD_LABELS[k]}←{v}" for k, v in plan.mapping.items())
            )
        if plan.missing_categories:
            self.stdout.write("将新建分类：" + "、".join(sorted(plan.missing_categories)))
        if plan.missing_units:
            self.stdout.write("将新建承办单位：" + "、".join(sorted(plan.missing_units)))
        if not plan.ok:
            for err in plan.errors:
                self.stderr.write(str(err))
            if plan.error_count > len(plan.errors):
                self.stderr.write(f"……另有{plan.error_count - len(plan.errors)}处错误未列出")
            raise CommandError(f"有{plan.error_count}处错误，未导入任何数据")
        if opts["check"] or not plan.rows:
            self.stdout.write("未写入（只检查）" if opts["check"] else "没有需要导入的新数据")
            return
        write_start = time.monotonic()
        with self._bar(not opts["no_progress"]) as bar:
            task = bar.add_task("写入", total=len(plan.rows)) if bar else None
            try:
                written = cases_import(
                    actor=actor,
                    plan=plan,
                    node=node,
                    create_missing=opts["create_missing"],
                    progress=(lambda n: bar.update(task, completed=n)) if bar else None,
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        took = time.monotonic() - write_start
        rate = written / took if took else written
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入{written}条（写入用时{took:.1f}秒，约{rate:.0f}条/秒；"
                f"总用时{time.monotonic() - started:.1f}秒）"
            )
        )

    def _node(self, value: str | None) -> OrgNode:
        if not value:
            node = OrgNode.objects.filter(depth=1).order_by("path").first()
            if node is None:
                raise CommandError("组织架构为空，请先运行 seed_demo 或录入组织")
            return node
        node = OrgNode.objects.filter(code=value).first()
        if node is None and value.isdigit():
            node = OrgNode.objects.filter(pk=int(value)).first()
        if node is None:
            raise CommandError(f"没有 id 或编码为 {value} 的组织节点")
        return node

    def _bar(self, enabled: bool):
        import contextlib

        if not enabled:
            return contextlib.nullcontext(None)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
