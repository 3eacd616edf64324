import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases import intake_writer


class Command(BaseCommand):
    help = "网上诉求回执的合并写入进程（生产模式下与应用进程并行常驻，按 CASES_INTAKE_SOCKET 监听）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--socket", default=settings.CASES_INTAKE_SOCKET, help="Unix 套接字路径"
        )

    def handle(self, *args, socket="", **options):
        if not socket:
            raise CommandError("未设置 CASES_INTAKE_SOCKET（或 --socket）：不需要合并写入进程")
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        signal.signal(signal.SIGINT, lambda *_: stop.append(1))
        stored = intake_writer.serve(socket, stop=lambda: bool(stop))
        self.stdout.write(f"已写入 {stored} 条回执")
