import json

from django.core.management.base import BaseCommand

from textintel.jobs import train_all


class Command(BaseCommand):
    help = "用已办结的记录训练分类、承办单位建议模型（无需下载任何模型或数据）"

    def add_arguments(self, parser):
        parser.add_argument("--if-changed", action="store_true", help="训练数据未变化时跳过")

    def handle(self, *args, **options):
        report = train_all(force=not options["if_changed"])
        if not report:
            self.stderr.write("没有登记的训练数据来源（cases 应用未安装？）")
        self.stdout.write(json.dumps(report, ensure_ascii=False, default=str, indent=1))
