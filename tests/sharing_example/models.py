"""The smallest record app: how a later app declares a shared model."""

from django.db import models

from sharing.models import SharedRecord, audience_indexes


class ExampleRecord(SharedRecord):
    """A shared note with a value that can be correlated across workspaces."""

    value = models.CharField(max_length=100, db_index=True)
    note = models.TextField(blank=True)

    class Meta(SharedRecord.Meta):
        indexes = audience_indexes("ex_record")

    def __str__(self) -> str:
        return self.value
