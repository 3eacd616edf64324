"""Triage a backlog: one {"ref", "text"[, "place"]} per input line, one
{"ref", "categories", "units", "duplicates"} per output line, computed against
the documents stored so far."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

import textintel


class Command(BaseCommand):
    help = (
        '批量生成分类、承办单位和重复件建议：IN.jsonl 每行 {"ref", "text"}，OUT.jsonl 每行一个答复'
    )

    def add_arguments(self, parser):
        parser.add_argument("infile")
        parser.add_argument("outfile")
        parser.add_argument("--doc-type", default="case")

    def handle(self, *args, infile, outfile, doc_type, **options):
        started = time.perf_counter()
        n = bad = 0
        try:
            src = open(infile, encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"无法读取输入文件：{exc}") from exc
        with src, open(outfile, "w", encoding="utf-8") as out:
            for lineno, line in enumerate(src, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                        raise ValueError
                except ValueError:
                    bad += 1
                    out.write(
                        json.dumps(
                            {"line": lineno, "error": "该行不是含 text 字段的 JSON 对象"},
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
                    continue
                answer = textintel.suggest(row["text"], place=row.get("place"), doc_type=doc_type)
                out.write(json.dumps({"ref": row.get("ref"), **answer}, ensure_ascii=False) + "\n")
                n += 1
        seconds = time.perf_counter() - started
        self.stdout.write(f"已处理 {n} 行，{bad} 行格式错误，用时 {seconds:.1f} 秒")
