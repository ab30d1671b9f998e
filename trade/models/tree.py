"""Adjacency list + materialised path, shared by the customer hierarchy and families.

Each row keeps ``parent`` (for forms, the API and integrity) and ``path``, the ids
from the root down to the row itself as ``/1/5/23/``. Ancestors are the ids in the
path (one ``pk__in`` query), descendants are the rows whose path starts with this
one's (one indexed prefix query). Paths are written by ``trade.services.tree``
only, in the same transaction as the parent change.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TreeNode(models.Model):
    path = models.CharField(_("path"), max_length=255, editable=False, default="", db_index=True)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False, default=0)

    class Meta:
        abstract = True

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent (this node excluded)."""
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]

    @property
    def lineage_ids(self) -> list[int]:
        """Ids from the root down to this node included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]
