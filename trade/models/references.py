"""Customer article cross-references: a customer's own number for one of our articles.

Retail chains order by *their* article numbers (EANCOM ``PIA+1+<code>:IN``). A
reference set on a node applies to every node below it; the nearest one wins
(``trade.selectors.customer_article_references_resolve``). Rows are written by
``trade.services.references`` only, which checks what spans rows (the packaging level
exists for the article, the code is not taken on the node).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .catalogue import Article, PackagingLevel
from .parties import CustomerNode

CUSTOMER_ARTICLE_CODE_LENGTH = 35  # an EDIFACT an..35 item number (PIA 7140)


class CustomerArticleReference(models.Model):
    customer_node = models.ForeignKey(
        CustomerNode, verbose_name=_("customer"), on_delete=models.CASCADE,
        related_name="article_references",
        help_text=_("Applies to this node and every node below it, unless a nearer node has the same code."),
    )
    code = models.CharField(_("customer's article number"), max_length=CUSTOMER_ARTICLE_CODE_LENGTH)
    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="customer_references"
    )
    packaging_level = models.CharField(
        _("packaging level"), max_length=20, choices=PackagingLevel.choices, blank=True, default="",
        help_text=_("What one unit ordered under this number is; empty: the article's base unit."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["customer_node", "code"]
        verbose_name = _("customer article reference")
        verbose_name_plural = _("customer article references")
        constraints = [
            models.UniqueConstraint(fields=["customer_node", "code"], name="customer_article_code_unique"),
            models.CheckConstraint(condition=~Q(code=""), name="customer_article_code_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.article.code}"

    def clean(self) -> None:
        if self.code != self.code.strip():
            raise ValidationError({"code": _("The customer's article number may not start or end with a space.")})
