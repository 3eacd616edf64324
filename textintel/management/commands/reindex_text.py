from django.core.management.base import BaseCommand

from textintel import duplicates, search
from textintel.registry import index_sources


class Command(BaseCommand):
    help = "重建全文检索表与重复件索引（从各应用登记的数据来源）"

    def handle(self, *args, **options):
        for doc_type, source in index_sources().items():
            changed = search.index_documents(doc_type, source())
            index = duplicates.refresh(doc_type, force=True)
            self.stdout.write(f"{doc_type}: {changed} 条更新；重复件索引 {index[doc_type]}")
