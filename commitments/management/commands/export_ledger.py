"""manage.py export_ledger --programme ID -o FILE [--user NAME]"""

from django.core.management.base import BaseCommand, CommandError

from commitments import ledger
from commitments.models import Programme

from ._actor import command_actor


class Command(BaseCommand):
    help = "导出项目清单和整改清单为Excel台账"

    def add_arguments(self, parser):
        parser.add_argument("--programme", type=int, required=True, help="项目清单ID")
        parser.add_argument("-o", "--output", required=True, help="输出文件（.xlsx）")
        parser.add_argument("--user", help="以哪个用户的身份导出（默认系统管理员）")

    def handle(self, *args, **opts):
        actor = command_actor(opts["user"])
        programme = Programme.objects.filter(pk=opts["programme"]).first()
        if programme is None:
            raise CommandError(f"项目清单{opts['programme']}不存在")
        data = ledger.ledger_export(actor=actor, programme=programme)
        with open(opts["output"], "wb") as fh:
            fh.write(data)
        self.stdout.write(f"已导出{programme.name}到{opts['output']}")
