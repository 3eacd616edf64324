import json
import os
import socket

from django.core.management.base import BaseCommand, CommandError

from core.periodic import failed, run_all


class Command(BaseCommand):
    help = "运行所有定时任务一次（幂等：连续运行两次，第二次不产生变化）"

    def handle(self, *args, **options):
        report = run_all(owner=f"{socket.gethostname()}:{os.getpid()}")
        if not report:
            self.stdout.write("另一进程正在运行定时任务，本次跳过")
            return
        self.stdout.write(json.dumps(report, ensure_ascii=False, default=str, indent=1))
        if failed(report):
            raise CommandError("以下定时任务运行失败：" + "、".join(failed(report)))
