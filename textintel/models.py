"""The search table. One row per indexed document (doc_type, doc_id); `tokens`
holds the character bigrams of the normalised text (see normalize.bigram_tokens).

The full-text index is not a Django field: migration 0002 adds, by database
vendor, an FTS5 table kept in sync by triggers (SQLite) or a generated `simple`
tsvector column with a GIN index (PostgreSQL). An upsert that changes the text
deletes the row and inserts a new one, so a new primary key marks every change:
duplicate indexes in other processes catch up by reading rows above the last
key they have seen.
"""

from django.db import models


class SearchDocument(models.Model):
    doc_type = models.CharField("文档类型", max_length=32)
    doc_id = models.BigIntegerField("文档编号")
    tokens = models.TextField("二元切分文本")
    # an opaque key of where the document belongs (cases: the place id); the
    # duplicate finder ranks candidates from the same group higher
    group_key = models.BigIntegerField("分组", null=True, blank=True)
    # an opaque key of a coarse area (cases: the county of the place); a search
    # within one area reads only its documents (PostgreSQL: one GIN index over the
    # text and this key, so the index intersects the two)
    area_key = models.BigIntegerField("区域", null=True, blank=True)

    class Meta:
        verbose_name = "检索文档"
        verbose_name_plural = "检索文档"
        constraints = [
            models.UniqueConstraint(fields=["doc_type", "doc_id"], name="textintel_doc_unique")
        ]

    def __str__(self) -> str:
        return f"{self.doc_type}:{self.doc_id}"


class StoredAnswer(models.Model):
    """A suggestion answer computed once for a stored document (the triage list
    shows many at a time): categories and units as answered, duplicates as raw
    [id, score] pairs the caller resolves (state, visibility) when showing them.
    `mark` names the models and the day it was computed with; another mark means
    stale."""

    doc_type = models.CharField("文档类型", max_length=32)
    doc_id = models.BigIntegerField("文档编号")
    answer = models.JSONField("建议")
    mark = models.CharField("模型标记", max_length=64)

    class Meta:
        verbose_name = "已存建议"
        verbose_name_plural = "已存建议"
        constraints = [
            models.UniqueConstraint(fields=["doc_type", "doc_id"], name="textintel_answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.doc_type}:{self.doc_id}"
