import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from cases import services


class Command(BaseCommand):
    help = "把已受理回执的网上诉求登记为诉求（生产模式下与应用进程并行常驻；--once 只处理当前积压）"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="处理完当前积压即退出")
        parser.add_argument("--idle", type=float, default=0.2, help="无积压时的等待秒数")

    def handle(self, *args, once=False, idle=0.2, **options):
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        made = 0
        while not stop:
            try:
                n = services.submissions_drain(limit=200)
            except Exception as exc:  # the database went away: wait and retry
                self.stderr.write(f"登记失败，稍后重试：{exc}")
                close_old_connections()
                n = 0
                time.sleep(1)
            made += n
            if n == 0:
                if once:
                    break
                time.sleep(idle)
        if once:
            self.stdout.write(f"已登记 {made} 件")
