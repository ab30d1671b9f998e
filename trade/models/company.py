"""Our company: everything a French invoice must print about the seller."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from stdnum import bic as std_bic
from stdnum import iban as std_iban
from stdnum.exceptions import ValidationError as StdnumError

from comptoir.money import AMOUNT_FIELD

from .parties import LegalIdentityMixin


class Company(LegalIdentityMixin, models.Model):
    """A single row (pk = 1), edited by accounting and admins."""

    legal_name = models.CharField(_("legal name"), max_length=150)
    legal_form = models.CharField(_("legal form"), max_length=40, help_text=_("SAS, SARL, SA…"))
    share_capital = models.DecimalField(_("share capital"), **AMOUNT_FIELD)
    rcs_city = models.CharField(_("RCS registry city"), max_length=80)
    naf_code = models.CharField(_("NAF/APE code"), max_length=6, blank=True)
    line1 = models.CharField(_("address"), max_length=150)
    line2 = models.CharField(_("address (continued)"), max_length=150, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12)
    city = models.CharField(_("city"), max_length=80)
    country = models.CharField(_("country"), max_length=2, default="FR")
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    bank_name = models.CharField(_("bank"), max_length=80, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    late_payment_rate = models.DecimalField(
        _("late payment penalty rate (%)"), max_digits=5, decimal_places=2, default=12
    )
    recovery_indemnity = models.DecimalField(
        _("flat recovery indemnity"), default=40, **AMOUNT_FIELD
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    resale_floor_coefficient = models.DecimalField(
        _("resale-at-loss floor coefficient"), max_digits=5, decimal_places=4, default=1,
        help_text=_("Applied to the cost price to get the legal resale floor: 0.9 for a wholesaler "
                    "selling only to independent professionals, else 1."),
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("company")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="company_single_row")]

    def __str__(self) -> str:
        return self.legal_name

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        self.pk = 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.iban:
            try:
                std_iban.validate(self.iban)
            except StdnumError:
                errors["iban"] = _("This IBAN is not valid.")
        if self.bic:
            try:
                std_bic.validate(self.bic)
            except StdnumError:
                errors["bic"] = _("This BIC is not valid.")
        if errors:
            raise ValidationError(errors)
