"""Customer hierarchy and families: saving a node keeps the tree and its rules whole."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.exceptions import ValidationFailed
from comptoir.identifiers import compact_digits, validate_gln

from ..models import ArticleFamily, CustomerNode, NodeKind
from .tree import tree_node_save

KIND_RANK = {
    NodeKind.CHAIN: 0,
    NodeKind.BUYING_GROUP: 1,
    NodeKind.PLATFORM: 2,
    NodeKind.STORE: 3,
}


def _full_clean(instance, exclude: list[str] | None = None) -> None:  # noqa: ANN001
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationFailed(
            {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        ) from exc


@transaction.atomic
def customer_node_save(node: CustomerNode) -> CustomerNode:
    """Create or update a customer node.

    Rules checked here because they span rows: the parent's kind is above or level
    with the node's (a regional buying group under a national one is fine, a store
    has no children), no cycle, and the invoiced node is the node itself or one of
    its ancestors — for the node and, after a move, for its whole subtree.
    Single-row rules (identifiers, shelf life) come from the model's ``clean``.
    Nothing is written when a rule fails.
    """
    _full_clean(node, exclude=["path", "depth"])
    parent = CustomerNode.objects.filter(pk=node.parent_id).first() if node.parent_id else None
    if parent is not None:
        if parent.kind == NodeKind.STORE:
            raise ValidationFailed({"parent": [_("A store cannot have sub-nodes.")]})
        if KIND_RANK[NodeKind(node.kind)] < KIND_RANK[NodeKind(parent.kind)]:
            raise ValidationFailed(
                {"kind": [_("A %(kind)s cannot sit under a %(parent_kind)s.")
                          % {"kind": node.get_kind_display(), "parent_kind": parent.get_kind_display()}]}
            )
    if node.pk is not None and node.kind == NodeKind.STORE and node.children.exists():
        raise ValidationFailed({"kind": [_("This node has sub-nodes: it cannot become a store.")]})

    previous_parent_id = (
        CustomerNode.objects.filter(pk=node.pk).values_list("parent_id", flat=True).first()
        if node.pk is not None else node.parent_id
    )
    tree_node_save(node)

    # Invoiced node: self or an ancestor, for this node and every node below it.
    offenders = (
        CustomerNode.objects.filter(path__startswith=node.path, invoicing_node__isnull=False)
        .select_related("invoicing_node")
        .only("id", "code", "path", "invoicing_node__path", "invoicing_node__code")
    )
    for row in offenders:
        if not row.path.startswith(row.invoicing_node.path):
            moved = previous_parent_id != node.parent_id
            field = "invoicing_node" if row.pk == node.pk and not moved else "parent"
            raise ValidationFailed(
                {field: [_("%(node)s is invoiced to %(invoiced)s, which is not itself or one of its "
                           "ancestors.") % {"node": row.code, "invoiced": row.invoicing_node.code}]}
            )
    return node


@transaction.atomic
def family_save(family: ArticleFamily) -> ArticleFamily:
    """Create or update an article family; refuses cycles like the customer tree."""
    _full_clean(family, exclude=["path", "depth"])
    tree_node_save(family)
    return family


@transaction.atomic
def customer_node_gln_assign(*, node: CustomerNode, gln: str, replace: bool = False) -> CustomerNode:
    """Give the customer node ``node`` the GLN ``gln`` (an EDI cross-reference a person
    fixes), saved through :func:`customer_node_save`.

    Refuses, writing nothing: an invalid GLN; a GLN another node has; a node that has
    another GLN already, unless ``replace`` (its old GLN then stops matching). A node
    that already has this GLN is returned unchanged. Locks the node's row.
    """
    gln = compact_digits(gln)
    try:
        validate_gln(gln)
    except ValidationError as exc:
        raise ValidationFailed({"gln": [str(message) for message in exc.messages]}) from exc
    locked = CustomerNode.objects.select_for_update().get(pk=node.pk)
    other = CustomerNode.objects.filter(gln=gln).exclude(pk=locked.pk).first()
    if other is not None:
        raise ValidationFailed({"gln": [
            _("GLN %(gln)s is already the GLN of %(node)s.") % {"gln": gln, "node": other.code}
        ]})
    if locked.gln == gln:
        return locked
    if locked.gln and not replace:
        raise ValidationFailed({"replace": [
            _("%(node)s already has GLN %(gln)s: confirm that the new one replaces it.")
            % {"node": locked.code, "gln": locked.gln}
        ]})
    locked.gln = gln
    return customer_node_save(locked)
