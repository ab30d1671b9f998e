"""Django admin for administrators: master data, with tree-aware saves."""

from django.contrib import admin

from . import models
from .services import (
    article_save,
    customer_article_reference_create,
    customer_article_reference_update,
    customer_node_save,
    family_save,
)


class CustomerAddressInline(admin.TabularInline):
    model = models.CustomerAddress
    extra = 0


class CustomerContactInline(admin.TabularInline):
    model = models.CustomerContact
    extra = 0


@admin.register(models.CustomerNode)
class CustomerNodeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "gln", "is_active", "is_blocked")
    list_filter = ("kind", "is_active", "is_blocked", "delivery_mode")
    search_fields = ("code", "name", "gln", "siret")
    raw_id_fields = ("parent", "invoicing_node", "salesperson")
    readonly_fields = ("path", "depth")
    inlines = [CustomerAddressInline, CustomerContactInline]

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201
        customer_node_save(obj)


class SupplierAddressInline(admin.TabularInline):
    model = models.SupplierAddress
    extra = 0


class SupplierContactInline(admin.TabularInline):
    model = models.SupplierContact
    extra = 0


@admin.register(models.Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "gln", "lead_time_days", "currency", "is_active")
    search_fields = ("code", "name", "gln")
    inlines = [SupplierAddressInline, SupplierContactInline]


class PackagingInline(admin.TabularInline):
    model = models.Packaging
    extra = 0


class SupplierArticleInline(admin.TabularInline):
    model = models.SupplierArticle
    extra = 0
    raw_id_fields = ("supplier",)


class KitComponentInline(admin.TabularInline):
    model = models.KitComponent
    fk_name = "kit"
    extra = 0
    raw_id_fields = ("component",)


@admin.register(models.Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("code", "designation", "brand", "family", "vat_rate", "tracking_mode", "kit_kind", "status")
    list_filter = ("status", "tracking_mode", "kit_kind", "vat_rate")
    search_fields = ("code", "designation", "packagings__gtin")
    inlines = [PackagingInline, SupplierArticleInline, KitComponentInline]

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201
        article_save(obj)


@admin.register(models.ArticleFamily)
class ArticleFamilyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "depth")
    search_fields = ("code", "name")
    readonly_fields = ("path", "depth")

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201
        family_save(obj)


@admin.register(models.CustomerArticleReference)
class CustomerArticleReferenceAdmin(admin.ModelAdmin):
    list_display = ("customer_node", "code", "article", "packaging_level", "description", "updated_at")
    list_filter = ("packaging_level",)
    search_fields = ("code", "customer_node__code", "customer_node__name", "article__code")
    raw_id_fields = ("customer_node", "article")
    list_select_related = ("customer_node", "article")

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201
        fields = {name: getattr(obj, name) for name in ("customer_node", "code", "article",
                                                        "packaging_level", "description")}
        if change:
            saved = customer_article_reference_update(reference=obj, **fields)
        else:
            saved = customer_article_reference_create(**fields)
        obj.pk = saved.pk


admin.site.register(models.Brand, search_fields=("name",))
admin.site.register(models.PaymentTerms, list_display=("code", "label", "days", "end_of_month"))
admin.site.register(models.PriceList, list_display=("code", "name", "currency", "is_active"))
admin.site.register(models.DocumentTemplate, list_display=("code", "name"))
admin.site.register(models.Company)
