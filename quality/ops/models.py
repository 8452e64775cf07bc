"""Operations' own rows. Nothing here is about people or cases."""

from django.db import models
from django.utils import timezone


class BeatHeartbeat(models.Model):
    """The one Celery beat that holds the lock (quality/ops/beat.py) records its last tick here.

    A single row (pk 1), overwritten on every recorded tick: the health endpoint reports beat late
    when it is older than HEALTH_BEAT_LATE_AFTER, and says which machine and process last ticked.
    """

    ROW = 1

    ticked_at = models.DateTimeField()
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()

    class Meta:
        verbose_name = "beat heartbeat"

    def __str__(self) -> str:
        return f"beat on {self.hostname} (pid {self.pid}) at {self.ticked_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def record(cls, *, hostname: str, pid: int) -> None:
        cls.objects.update_or_create(
            pk=cls.ROW, defaults={"ticked_at": timezone.now(), "hostname": hostname, "pid": pid}
        )

    @classmethod
    def latest(cls) -> "BeatHeartbeat | None":
        return cls.objects.filter(pk=cls.ROW).first()
