"""Keeps the materialised paths of a tree consistent with its parent links."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from comptoir.exceptions import ValidationFailed

from ..models.tree import TreeNode


def tree_node_save(node: TreeNode) -> None:
    """Save ``node`` and keep ``path``/``depth`` right for it and its whole subtree.

    Refuses a parent that is the node itself or one of its descendants (a cycle).
    Locks the parent row so that two concurrent moves cannot build a cycle between
    them. Must run inside the caller's transaction.
    """
    model: type[models.Model] = type(node)
    parent = None
    parent_id = node.parent_id  # type: ignore[attr-defined]
    if parent_id is not None:
        parent = model.objects.select_for_update().filter(pk=parent_id).first()
        if parent is None:
            raise ValidationFailed({"parent": [_("This parent does not exist.")]})
        if node.pk is not None and (parent.pk == node.pk or f"/{node.pk}/" in parent.path):
            raise ValidationFailed(
                {"parent": [_("%(parent)s is inside %(node)s: that would make a cycle.")
                            % {"parent": parent, "node": node}]}
            )
    old_path, old_depth = node.path, node.depth
    if node.pk is not None:
        stored = model.objects.filter(pk=node.pk).values_list("path", "depth").first()
        if stored:
            old_path, old_depth = stored
    node.save()
    new_path = f"{parent.path if parent else '/'}{node.pk}/"
    new_depth = parent.depth + 1 if parent else 0
    if new_path == old_path and new_depth == old_depth:
        return
    model.objects.filter(pk=node.pk).update(path=new_path, depth=new_depth)
    node.path, node.depth = new_path, new_depth
    if old_path:
        model.objects.filter(path__startswith=old_path).exclude(pk=node.pk).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + (new_depth - old_depth),
        )

