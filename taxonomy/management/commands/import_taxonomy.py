from django.core.management.base import BaseCommand, CommandError

from core.errors import InvalidInput
from orgs.models import User
from taxonomy.services import taxonomy_import_excel


class Command(BaseCommand):
    help = "从Excel导入事项分类（列：方面、大类、小项、默认责任单位、默认时限(工作日)）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as-user", default="admin", help="执行导入的管理员用户名")

    def handle(self, *args, file, as_user, **options):
        actor = User.objects.get(username=as_user)
        try:
            with open(file, "rb") as fh:
                report = taxonomy_import_excel(actor=actor, fileobj=fh)
        except InvalidInput as exc:
            raise CommandError("\n".join(exc.fields.get("file", [exc.message]))) from None
        self.stdout.write(
            f"共{report.rows}行：新增方面{report.aspects}个、大类{report.categories}个、小项{report.items}个"
        )
