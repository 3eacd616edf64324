from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from figures import briefing, services
from figures.periods import parse_period
from orgs.models import OrgNode


class Command(BaseCommand):
    help = "生成工作通报（Word）：--node 组织ID或编码 --period 2026-10 -o 文件.docx"

    def add_arguments(self, parser):
        parser.add_argument("--node", required=True, help="组织节点ID或编码（如 C）")
        parser.add_argument("--period", required=True, help="通报月份，如 2026-10")
        parser.add_argument("-o", "--output", required=True, help="输出的 .docx 文件")

    def handle(self, *args, node, period, output, **options):
        found = OrgNode.objects.filter(code=node).first()
        if found is None and str(node).isdigit():
            found = OrgNode.objects.filter(pk=int(node)).first()
        if found is None:
            raise CommandError(f"未找到组织节点：{node}")
        try:
            p = parse_period(period)
            b = services.briefing_issue(actor=None, node_id=found.pk, period=p.key)
        except DomainError as e:
            raise CommandError(e.message) from e
        data = briefing.build(node=found, period=p, briefing=b)
        Path(output).write_bytes(data)
        self.stdout.write(f"已生成 {output}（{briefing.doc_number(found, b)}）")
