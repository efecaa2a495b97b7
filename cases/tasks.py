"""Thin Celery tasks for leads and freeze requests."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def freeze_expiry_sweep_task() -> dict[str, int]:
    """Beat: remind before bank holds lapse, and mark lapsed holds expired (idempotent)."""
    return services.freeze_expiry_sweep()
