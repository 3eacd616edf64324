from django.db import models


class JobLock(models.Model):
    """One row per running periodic job: the unique name is the lock."""

    name = models.CharField(max_length=64, unique=True)
    owner = models.CharField(max_length=128)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "任务锁"
        verbose_name_plural = "任务锁"
