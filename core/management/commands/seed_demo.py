from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "载入示范县演示数据（可重复运行，结果相同）"

    def handle(self, *args, **options):
        for dotted in settings.DEMO_SEEDERS:
            module = import_module(dotted)
            with transaction.atomic():
                summary = module.seed()
            self.stdout.write(f"{dotted}: {summary or 'ok'}")
        self.stdout.write(self.style.SUCCESS("示范县演示数据已就绪"))
