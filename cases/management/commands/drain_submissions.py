import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from cases import services


class Command(BaseCommand):
    help = "把已受理回执的网上诉求登记为诉求（生产模式下与应用进程并行常驻；--once 只处理当前积压）"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="处理完当前积压即退出")
        parser.add_argument("--idle", type=float, default=0.2, help="无积压时的等待秒数")
        parser.add_argument(
            "--quiet",
            type=float,
            default=settings.CASES_DRAIN_QUIET_SECONDS,
            help="提交停歇多少秒后开始登记（提交高峰时先回执、后登记）",
        )
        parser.add_argument(
            "--max-lag",
            type=float,
            default=settings.CASES_DRAIN_MAX_LAG_SECONDS,
            help="最早一条等待超过多少秒时无论如何开始登记",
        )

    def handle(self, *args, once=False, idle=0.2, quiet=0.5, max_lag=30.0, **options):
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        made = 0
        draining = once  # --once files what is there now, busy or not
        while not stop:
            try:
                if not draining:
                    draining = services.submissions_drain_due(quiet=quiet, max_lag=max_lag)
                # Once started, the backlog is filed to the end.
                n = services.submissions_drain() if draining else 0
            except Exception as exc:  # the database went away: wait and retry
                self.stderr.write(f"登记失败，稍后重试：{exc}")
                close_old_connections()
                n = 0
                time.sleep(1)
            made += n
            if n == 0:
                if once:
                    break
                draining = False
                time.sleep(idle)
        if once:
            self.stdout.write(f"已登记 {made} 件")
