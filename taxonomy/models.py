from django.db import models

from orgs.models import OrgNode


class Aspect(models.Model):
    """方面: the six aspects of seed 000."""

    name = models.CharField("名称", max_length=60, unique=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "方面"
        verbose_name_plural = "方面"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """大类: carries the default responsible unit and deadline that routing uses."""

    aspect = models.ForeignKey(
        Aspect, verbose_name="方面", on_delete=models.PROTECT, related_name="categories"
    )
    code = models.CharField("编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=60)
    default_unit = models.ForeignKey(
        OrgNode,
        verbose_name="默认责任单位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_categories",
    )
    default_days = models.PositiveSmallIntegerField("默认办理时限(工作日)", default=10)
    order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "大类"
        verbose_name_plural = "大类"
        ordering = ["aspect__order", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    """小项."""

    category = models.ForeignKey(
        Category, verbose_name="大类", on_delete=models.PROTECT, related_name="items"
    )
    code = models.CharField("编码", max_length=24, unique=True)
    name = models.CharField("名称", max_length=80)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "小项"
        verbose_name_plural = "小项"
        ordering = ["category", "order", "id"]

    def __str__(self) -> str:
        return self.name
