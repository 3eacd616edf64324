"""manage.py import_ledger FILE [--partial] [--programme ID] [--user NAME]"""

from django.core.management.base import BaseCommand, CommandError

from commitments import ledger
from commitments.models import Programme
from core.errors import DomainError

from ._actor import command_actor


class Command(BaseCommand):
    help = "导入项目清单/整改清单Excel台账（先逐行校验；默认有错则全部不导入）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--programme", type=int, help="项目清单ID（默认为最新的进行中清单）")
        parser.add_argument("--partial", action="store_true", help="只导入校验通过的行")
        parser.add_argument("--user", help="以哪个用户的身份导入（默认系统管理员）")

    def handle(self, *args, **opts):
        actor = command_actor(opts["user"])
        qs = Programme.objects.all()
        programme = (
            qs.filter(pk=opts["programme"]).first()
            if opts["programme"]
            else qs.filter(is_active=True).order_by("-year", "-id").first()
        )
        if programme is None:
            raise CommandError("找不到项目清单，请用 --programme 指定")
        try:
            with open(opts["file"], "rb") as fh:
                result = ledger.ledger_import(
                    actor=actor, programme=programme, file=fh, partial=opts["partial"]
                )
        except FileNotFoundError:
            raise CommandError(f"文件不存在：{opts['file']}") from None
        except DomainError as e:
            raise CommandError(e.message) from None
        for error in result.errors:
            self.stderr.write(str(error))
        self.stdout.write(f"{programme.name}：{result.summary()}")
        if result.errors and not result.saved:
            raise CommandError("台账有误，未导入。可改正后重试，或加 --partial 只导入正确的行。")
