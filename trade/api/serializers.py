"""Input and output serializers of the trade API.

Output serializers describe a row as the API returns it: every field is read-only
(and so always present), decimals are strings, ``path``/``depth``/timestamps are
never writable. Nested data a role may not view (a customer's contacts, an
article's purchase prices…) is left out of the response for that user and is
marked optional in the schema (``PermissionGatedFieldsMixin``).

Input serializers validate a request. Rows with cross-row rules (customer nodes,
families, articles, kit components) are saved through ``trade.services``; nested
lists (addresses, contacts, packagings) replace the stored set through the
``*_set`` services, in the same transaction as their parent, so a refusal anywhere
leaves nothing half-saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.settings import api_settings

from trade.models import (
    AddressKind,
    Article,
    ArticleFamily,
    Brand,
    Company,
    CustomerAddress,
    CustomerArticleReference,
    CustomerContact,
    CustomerNode,
    DocumentTemplate,
    KitComponent,
    NodeKind,
    Packaging,
    PackagingLevel,
    PaymentTerms,
    PriceList,
    ShelfLifeUnit,
    Supplier,
    SupplierAddress,
    SupplierArticle,
    SupplierContact,
)
from trade.selectors import EffectiveSettings, InheritedValue
from trade.services import (
    article_packagings_set,
    article_save,
    child_id_errors,
    customer_addresses_set,
    customer_article_reference_create,
    customer_article_reference_update,
    customer_contacts_set,
    customer_node_save,
    family_save,
    packaging_errors,
    price_list_save,
    supplier_addresses_set,
    supplier_contacts_set,
)

from .permissions import has_permissions

# --------------------------------------------------------------------------- helpers


def django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A model ``ValidationError`` as DRF error details keyed by field name."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}


class ModelCleanMixin:
    """Run the model's ``full_clean`` on the row the request would produce.

    For models written without a service: single-row rules live in ``Model.clean``
    (SIRET starting with the SIREN, IBAN/BIC, legal payment terms) and in check
    constraints, which DRF's field validation does not see. The row is rebuilt from
    the stored values plus the input, so the instance itself is untouched.
    """

    def clean_instance(self, attrs: Mapping[str, Any]) -> models.Model:
        model: type[models.Model] = self.Meta.model  # type: ignore[attr-defined]
        concrete = model._meta.concrete_fields
        stored = self.instance  # type: ignore[attr-defined]
        if stored is not None:
            instance = model(
                **{field.attname: getattr(stored, field.attname) for field in concrete}
            )
            instance._state.adding = False  # an update: unique checks must not meet the row itself
            instance._state.db = stored._state.db
        else:
            instance = model()
        names = {field.name for field in concrete}
        for name, value in attrs.items():
            if name in names:
                setattr(instance, name, value)
        return instance

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # type: ignore[misc]
        try:
            self.clean_instance(attrs).full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_errors(exc)) from exc
        return attrs


class PermissionGatedFieldsMixin:
    """Leave out of a response the nested fields whose model the user may not view.

    ``gated_fields`` maps a field name to the permission needed to see it. The
    schema keeps every field (it is generated for no one in particular), and the
    gated ones are declared ``required=False`` so the schema marks them optional.
    """

    gated_fields: ClassVar[dict[str, str]] = {}

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()  # type: ignore[misc]
        context = self.context  # type: ignore[attr-defined]
        if getattr(context.get("view"), "swagger_fake_view", False):
            return fields
        request = context.get("request")
        for name, permission in self.gated_fields.items():
            if name in fields and (request is None or not has_permissions(request, [permission])):
                del fields[name]
        return fields


def check_child_ids(
    items: Sequence[Mapping[str, Any]], manager: models.Manager[Any] | None, label: str
) -> None:
    """Refuse ids that are repeated or that are not rows of this parent.

    Errors are keyed by the item's index, like DRF's own errors for a nested list. The
    service checks again when it writes; this reports the refusal with the other input
    errors, in DRF's nested shape.
    """
    known = set(manager.values_list("pk", flat=True)) if manager is not None else set()
    if errors := child_id_errors(items=items, known=known, label=label):
        raise serializers.ValidationError(errors)


def related_manager(instance: models.Model | None, name: str) -> models.Manager[Any] | None:
    return getattr(instance, name) if instance is not None and instance.pk is not None else None


# --------------------------------------------------------------------------- shared


# Choice sets whose field name ("kind") is shared by different sets get a component of
# their own, so the schema names them after their meaning rather than a hash.
@extend_schema_field(
    serializers.ChoiceField(choices=NodeKind.choices), component_name="NodeKindEnum"
)
class NodeKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=NodeKind.choices, **kwargs)


@extend_schema_field(
    serializers.ChoiceField(choices=AddressKind.choices), component_name="AddressKindEnum"
)
class AddressKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=AddressKind.choices, **kwargs)


SEARCH_KINDS = ("customer", "supplier", "article")


@extend_schema_field(serializers.ChoiceField(choices=SEARCH_KINDS), component_name="SearchKindEnum")
class SearchKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=SEARCH_KINDS, **kwargs)


class NodeRefSerializer(serializers.Serializer):
    """A customer node named by id, code and name."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


ADDRESS_FIELDS = ("id", "kind", "line1", "line2", "postal_code", "city", "country")
CONTACT_FIELDS = ("id", "name", "role", "email", "phone")
NESTED_ID_HELP = "Id of an existing row to update; omit it to add a row. Rows left out are deleted."


class CustomerAddressSerializer(serializers.ModelSerializer):
    kind = AddressKindField(read_only=True)

    class Meta:
        model = CustomerAddress
        fields = ADDRESS_FIELDS
        read_only_fields = ADDRESS_FIELDS


@extend_schema_serializer(component_name="CustomerAddress")
class CustomerAddressInputSerializer(serializers.ModelSerializer):
    kind = AddressKindField()
    id = serializers.IntegerField(required=False, help_text=NESTED_ID_HELP)

    class Meta:
        model = CustomerAddress
        fields = ADDRESS_FIELDS


class CustomerContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerContact
        fields = CONTACT_FIELDS
        read_only_fields = CONTACT_FIELDS


@extend_schema_serializer(component_name="CustomerContact")
class CustomerContactInputSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text=NESTED_ID_HELP)

    class Meta:
        model = CustomerContact
        fields = CONTACT_FIELDS


class SupplierAddressSerializer(serializers.ModelSerializer):
    kind = AddressKindField(read_only=True)

    class Meta:
        model = SupplierAddress
        fields = ADDRESS_FIELDS
        read_only_fields = ADDRESS_FIELDS


@extend_schema_serializer(component_name="SupplierAddress")
class SupplierAddressInputSerializer(serializers.ModelSerializer):
    kind = AddressKindField()
    id = serializers.IntegerField(required=False, help_text=NESTED_ID_HELP)

    class Meta:
        model = SupplierAddress
        fields = ADDRESS_FIELDS


class SupplierContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupplierContact
        fields = CONTACT_FIELDS
        read_only_fields = CONTACT_FIELDS


@extend_schema_serializer(component_name="SupplierContact")
class SupplierContactInputSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text=NESTED_ID_HELP)

    class Meta:
        model = SupplierContact
        fields = CONTACT_FIELDS


# --------------------------------------------------------------------------- customers

CUSTOMER_WRITABLE_FIELDS = (
    "code",
    "name",
    "kind",
    "parent",
    "is_active",
    "is_blocked",
    "gln",
    "siren",
    "siret",
    "vat_number",
    "salesperson",
    "payment_terms",
    "invoicing_node",
    "delivery_mode",
    "min_shelf_life_value",
    "min_shelf_life_unit",
    "document_language",
    "price_list",
    "document_template",
    "credit_limit",
    "backorder_policy",
    "full_cases_only",
)
CUSTOMER_READ_FIELDS = (
    "id",
    *CUSTOMER_WRITABLE_FIELDS,
    "path",
    "depth",
    "created_at",
    "updated_at",
)


class CustomerSerializer(PermissionGatedFieldsMixin, serializers.ModelSerializer):
    """A customer node with its own settings (empty: inherited, see effective-settings)."""

    gated_fields = {
        "addresses": "trade.view_customeraddress",
        "contacts": "trade.view_customercontact",
    }

    addresses = CustomerAddressSerializer(
        many=True, required=False, help_text="Present when the user may view customer addresses."
    )
    contacts = CustomerContactSerializer(
        many=True, required=False, help_text="Present when the user may view customer contacts."
    )
    kind = NodeKindField(read_only=True)

    class Meta:
        model = CustomerNode
        fields = (*CUSTOMER_READ_FIELDS, "addresses", "contacts")
        read_only_fields = CUSTOMER_READ_FIELDS


@extend_schema_serializer(component_name="Customer")
class CustomerInputSerializer(serializers.ModelSerializer):
    """A customer node to create or update. Leave a setting empty to inherit it.

    ``addresses`` and ``contacts``, when given, replace the node's current ones.
    """

    kind = NodeKindField()
    addresses = CustomerAddressInputSerializer(many=True, required=False)
    contacts = CustomerContactInputSerializer(many=True, required=False)

    class Meta:
        model = CustomerNode
        fields = (*CUSTOMER_WRITABLE_FIELDS, "addresses", "contacts")

    def validate_addresses(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        check_child_ids(items, related_manager(self.instance, "addresses"), _("address"))
        return items

    def validate_contacts(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        check_child_ids(items, related_manager(self.instance, "contacts"), _("contact"))
        return items

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> CustomerNode:
        addresses = validated_data.pop("addresses", None)
        contacts = validated_data.pop("contacts", None)
        node = customer_node_save(CustomerNode(**validated_data))
        self._save_children(node, addresses, contacts)
        return node

    @transaction.atomic
    def update(self, instance: CustomerNode, validated_data: dict[str, Any]) -> CustomerNode:
        addresses = validated_data.pop("addresses", None)
        contacts = validated_data.pop("contacts", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        node = customer_node_save(instance)
        self._save_children(node, addresses, contacts)
        return node

    @staticmethod
    def _save_children(
        node: CustomerNode,
        addresses: list[dict[str, Any]] | None,
        contacts: list[dict[str, Any]] | None,
    ) -> None:
        if addresses is not None:
            customer_addresses_set(node=node, items=addresses)
        if contacts is not None:
            customer_contacts_set(node=node, items=contacts)


class CustomerTreeNodeSerializer(serializers.ModelSerializer):
    """A node as the tree shows it, with the number of its direct children."""

    kind = NodeKindField(read_only=True)
    child_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = CustomerNode
        fields = (
            "id",
            "code",
            "name",
            "kind",
            "parent",
            "path",
            "depth",
            "is_active",
            "is_blocked",
            "child_count",
        )
        read_only_fields = fields


class CustomerBriefSerializer(serializers.ModelSerializer):
    kind = NodeKindField(read_only=True)

    class Meta:
        model = CustomerNode
        fields = ("id", "code", "name", "kind", "parent", "path", "depth")
        read_only_fields = fields


# ---------------------------------------------------------------- effective settings


class InheritedSettingSerializer(serializers.Serializer):
    """One effective setting: where it came from and how people read it."""

    label = serializers.CharField(
        read_only=True, allow_null=True, help_text="The value as people read it; null when unset."
    )
    source = NodeRefSerializer(
        read_only=True,
        allow_null=True,
        help_text="The node holding the value (the node itself or an ancestor); null: nobody sets it.",
    )
    inherited = serializers.BooleanField(
        read_only=True, help_text="True when the value comes from an ancestor."
    )


class RelatedSettingSerializer(InheritedSettingSerializer):
    value = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Id of the related row."
    )


class ChoiceSettingSerializer(InheritedSettingSerializer):
    value = serializers.CharField(read_only=True, allow_null=True, help_text="Stored choice value.")


class AmountSettingSerializer(InheritedSettingSerializer):
    value = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, allow_null=True
    )


class BooleanSettingSerializer(InheritedSettingSerializer):
    value = serializers.BooleanField(read_only=True, allow_null=True)


class ShelfLifeValueSerializer(serializers.Serializer):
    """Named like the customer's own two columns, which inherit together."""

    min_shelf_life_value = serializers.IntegerField(read_only=True)
    min_shelf_life_unit = serializers.ChoiceField(choices=ShelfLifeUnit.choices, read_only=True)


class ShelfLifeSettingSerializer(InheritedSettingSerializer):
    value = ShelfLifeValueSerializer(read_only=True, allow_null=True)


class EffectiveSettingValuesSerializer(serializers.Serializer):
    """Every inheritable setting of ``CustomerNode.INHERITABLE_FIELDS``, resolved."""

    salesperson = RelatedSettingSerializer(read_only=True)
    payment_terms = RelatedSettingSerializer(read_only=True)
    invoicing_node = RelatedSettingSerializer(read_only=True)
    delivery_mode = ChoiceSettingSerializer(read_only=True)
    min_shelf_life = ShelfLifeSettingSerializer(read_only=True)
    document_language = ChoiceSettingSerializer(read_only=True)
    price_list = RelatedSettingSerializer(read_only=True)
    document_template = RelatedSettingSerializer(read_only=True)
    credit_limit = AmountSettingSerializer(read_only=True)
    backorder_policy = ChoiceSettingSerializer(read_only=True)
    full_cases_only = BooleanSettingSerializer(read_only=True)


class EffectiveSettingsSerializer(serializers.Serializer):
    node = NodeRefSerializer(read_only=True)
    settings = EffectiveSettingValuesSerializer(read_only=True)


def _setting_label(node: CustomerNode, item: InheritedValue) -> str | None:
    value = item.value
    if value is None:
        return None
    if isinstance(value, models.Model):
        if hasattr(value, "get_full_name"):
            return value.get_full_name() or value.get_username()
        return str(value)
    if item.name == "min_shelf_life":
        number, unit = value
        return f"{number} {ShelfLifeUnit(unit).label}"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, Decimal):
        return f"{value:f}"
    field = node._meta.get_field(item.name)
    choices = dict(field.flatchoices)
    return str(choices.get(value, value))


def _setting_value(item: InheritedValue) -> Any:
    value = item.value
    if isinstance(value, models.Model):
        return value.pk
    if item.name == "min_shelf_life" and value is not None:
        number, unit = value
        return {"min_shelf_life_value": number, "min_shelf_life_unit": unit}
    return value


def effective_settings_data(settings: EffectiveSettings) -> dict[str, Any]:
    """The selector's answer shaped for ``EffectiveSettingsSerializer``."""
    return {
        "node": settings.node,
        "settings": {
            name: {
                "value": _setting_value(item),
                "label": _setting_label(settings.node, item),
                "source": item.source,
                "inherited": item.inherited,
            }
            for name, item in settings.values.items()
        },
    }


# --------------------------------------------------------------------------- suppliers

SUPPLIER_WRITABLE_FIELDS = (
    "code",
    "name",
    "gln",
    "siren",
    "siret",
    "vat_number",
    "lead_time_days",
    "minimum_order_amount",
    "currency",
    "payment_terms",
    "is_active",
)
SUPPLIER_READ_FIELDS = ("id", *SUPPLIER_WRITABLE_FIELDS, "created_at", "updated_at")


class SupplierSerializer(PermissionGatedFieldsMixin, serializers.ModelSerializer):
    gated_fields = {
        "addresses": "trade.view_supplieraddress",
        "contacts": "trade.view_suppliercontact",
    }

    addresses = SupplierAddressSerializer(
        many=True, required=False, help_text="Present when the user may view supplier addresses."
    )
    contacts = SupplierContactSerializer(
        many=True, required=False, help_text="Present when the user may view supplier contacts."
    )

    class Meta:
        model = Supplier
        fields = (*SUPPLIER_READ_FIELDS, "addresses", "contacts")
        read_only_fields = SUPPLIER_READ_FIELDS


@extend_schema_serializer(component_name="Supplier")
class SupplierInputSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A supplier to create or update; ``addresses``/``contacts`` replace the current ones."""

    addresses = SupplierAddressInputSerializer(many=True, required=False)
    contacts = SupplierContactInputSerializer(many=True, required=False)

    class Meta:
        model = Supplier
        fields = (*SUPPLIER_WRITABLE_FIELDS, "addresses", "contacts")

    def validate_addresses(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        check_child_ids(items, related_manager(self.instance, "addresses"), _("address"))
        return items

    def validate_contacts(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        check_child_ids(items, related_manager(self.instance, "contacts"), _("contact"))
        return items

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Supplier:
        addresses = validated_data.pop("addresses", None)
        contacts = validated_data.pop("contacts", None)
        supplier = Supplier.objects.create(**validated_data)
        self._save_children(supplier, addresses, contacts)
        return supplier

    @transaction.atomic
    def update(self, instance: Supplier, validated_data: dict[str, Any]) -> Supplier:
        addresses = validated_data.pop("addresses", None)
        contacts = validated_data.pop("contacts", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        self._save_children(instance, addresses, contacts)
        return instance

    @staticmethod
    def _save_children(
        supplier: Supplier,
        addresses: list[dict[str, Any]] | None,
        contacts: list[dict[str, Any]] | None,
    ) -> None:
        if addresses is not None:
            supplier_addresses_set(supplier=supplier, items=addresses)
        if contacts is not None:
            supplier_contacts_set(supplier=supplier, items=contacts)


# --------------------------------------------------------------------------- catalogue


class ArticleFamilySerializer(serializers.ModelSerializer):
    class Meta:
        model = ArticleFamily
        fields = ("id", "code", "name", "parent", "path", "depth")
        read_only_fields = fields


@extend_schema_serializer(component_name="ArticleFamily")
class ArticleFamilyInputSerializer(serializers.ModelSerializer):
    """A family to create or update; moving it (``parent``) moves its whole subtree."""

    class Meta:
        model = ArticleFamily
        fields = ("code", "name", "parent")

    def create(self, validated_data: dict[str, Any]) -> ArticleFamily:
        return family_save(ArticleFamily(**validated_data))

    def update(self, instance: ArticleFamily, validated_data: dict[str, Any]) -> ArticleFamily:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return family_save(instance)


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ("id", "name")


PACKAGING_FIELDS = ("level", "quantity", "gtin", "gross_weight_kg")


class PackagingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Packaging
        fields = ("id", *PACKAGING_FIELDS)
        read_only_fields = fields


@extend_schema_serializer(component_name="Packaging")
class PackagingInputSerializer(serializers.ModelSerializer):
    """A packaging level; an article's packagings are matched by level."""

    class Meta:
        model = Packaging
        fields = PACKAGING_FIELDS
        # GTIN uniqueness across articles is checked by the article serializer, which
        # knows which article the packaging belongs to (a nested row has no instance).
        extra_kwargs = {"gtin": {"validators": Packaging._meta.get_field("gtin").validators}}


class KitComponentSerializer(serializers.ModelSerializer):
    component_code = serializers.CharField(source="component.code", read_only=True)
    component_designation = serializers.CharField(source="component.designation", read_only=True)

    class Meta:
        model = KitComponent
        fields = ("component", "component_code", "component_designation", "quantity")
        read_only_fields = fields


@extend_schema_serializer(component_name="KitComponent")
class KitComponentInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = KitComponent
        fields = ("component", "quantity")


class KitComponentsSerializer(serializers.Serializer):
    """An article's bill of materials."""

    components = KitComponentSerializer(many=True, read_only=True)


@extend_schema_serializer(component_name="KitComponents")
class KitComponentsInputSerializer(serializers.Serializer):
    """The whole bill of materials of a kit; it replaces the current one."""

    components = KitComponentInputSerializer(many=True, allow_empty=True)


SUPPLIER_ARTICLE_WRITABLE_FIELDS = (
    "supplier",
    "article",
    "supplier_reference",
    "purchase_price",
    "currency",
    "minimum_order_quantity",
    "is_preferred",
)


class SupplierArticleSerializer(serializers.ModelSerializer):
    supplier_code = serializers.CharField(source="supplier.code", read_only=True)

    class Meta:
        model = SupplierArticle
        fields = ("id", "supplier", "supplier_code", *SUPPLIER_ARTICLE_WRITABLE_FIELDS[1:])
        read_only_fields = fields


@extend_schema_serializer(component_name="SupplierArticle")
class SupplierArticleInputSerializer(ModelCleanMixin, serializers.ModelSerializer):
    class Meta:
        model = SupplierArticle
        fields = SUPPLIER_ARTICLE_WRITABLE_FIELDS


ARTICLE_WRITABLE_FIELDS = (
    "code",
    "designation",
    "brand",
    "family",
    "vat_rate",
    "base_unit",
    "net_weight_kg",
    "tracking_mode",
    "shelf_life_days",
    "kit_kind",
    "status",
)
ARTICLE_READ_FIELDS = ("id", *ARTICLE_WRITABLE_FIELDS, "is_kit", "created_at", "updated_at")


class ArticleSerializer(PermissionGatedFieldsMixin, serializers.ModelSerializer):
    gated_fields = {
        "packagings": "trade.view_packaging",
        "components": "trade.view_kitcomponent",
        "supplier_articles": "trade.view_supplierarticle",
    }

    is_kit = serializers.BooleanField(read_only=True)
    packagings = PackagingSerializer(
        many=True, required=False, help_text="Present when the user may view packagings."
    )
    components = KitComponentSerializer(
        many=True,
        required=False,
        help_text="Bill of materials of a kit; present when the user may view it.",
    )
    supplier_articles = SupplierArticleSerializer(
        many=True,
        required=False,
        help_text="Supplier references and purchase prices; present when the user may view them.",
    )

    class Meta:
        model = Article
        fields = (*ARTICLE_READ_FIELDS, "packagings", "components", "supplier_articles")
        read_only_fields = ARTICLE_READ_FIELDS


@extend_schema_serializer(component_name="Article")
class ArticleInputSerializer(serializers.ModelSerializer):
    """An article to create or update. ``packagings``, when given, replace the current
    ones level by level; kit components are set with ``PUT …/components/``."""

    packagings = PackagingInputSerializer(many=True, required=False)

    class Meta:
        model = Article
        fields = (*ARTICLE_WRITABLE_FIELDS, "packagings")

    def validate_packagings(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Errors keyed by the item's index, like DRF's own errors for a nested list; the
        # service checks again when it writes.
        errors = packaging_errors(article=self.instance, items=items)
        if errors:
            raise serializers.ValidationError(errors)
        return items

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Article:
        packagings = validated_data.pop("packagings", None)
        article = article_save(Article(**validated_data))
        if packagings is not None:
            article_packagings_set(article=article, items=packagings)
        return article

    @transaction.atomic
    def update(self, instance: Article, validated_data: dict[str, Any]) -> Article:
        packagings = validated_data.pop("packagings", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        article = article_save(instance)
        if packagings is not None:
            article_packagings_set(article=article, items=packagings)
        return article


# --------------------------------------------------------------- reference data


class PaymentTermsSerializer(ModelCleanMixin, serializers.ModelSerializer):
    class Meta:
        model = PaymentTerms
        fields = ("id", "code", "label", "days", "end_of_month", "early_payment_discount_rate")


class PriceListSerializer(serializers.ModelSerializer):
    """A price list header; a derived list takes its parent's prices × the coefficient.
    Writes go through ``price_list_save`` (derivation cycles are refused)."""

    class Meta:
        model = PriceList
        fields = ("id", "code", "name", "currency", "parent", "coefficient", "valid_from", "valid_to", "is_active")

    def create(self, validated_data: dict[str, Any]) -> PriceList:
        return price_list_save(PriceList(**validated_data))

    def update(self, instance: PriceList, validated_data: dict[str, Any]) -> PriceList:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return price_list_save(instance)


class DocumentTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentTemplate
        fields = (
            "id",
            "code",
            "name",
            "header_text",
            "footer_text",
            "show_lots",
            "show_discount_breakdown",
            "show_gtin",
        )


class CompanySerializer(ModelCleanMixin, serializers.ModelSerializer):
    """Our company: the seller's legal mentions printed on every invoice."""

    class Meta:
        model = Company
        exclude = ("id",)

    def clean_instance(self, attrs: Mapping[str, Any]) -> models.Model:
        instance = super().clean_instance(attrs)
        instance.pk = 1  # the single row
        return instance


# --------------------------------------------------------- customer article references

CUSTOMER_ARTICLE_REFERENCE_WRITABLE_FIELDS = (
    "customer_node",
    "code",
    "article",
    "packaging_level",
    "description",
)


@extend_schema_field(
    serializers.ChoiceField(choices=[("", "base unit"), *PackagingLevel.choices]),
    component_name="ReferencePackagingLevelEnum",
)
class ReferencePackagingLevelField(serializers.ChoiceField):
    """A packaging level, or '' for the article's base unit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("", "base unit"), *PackagingLevel.choices], **kwargs)


class CustomerArticleReferenceSerializer(serializers.ModelSerializer):
    """A customer's own article number (EANCOM ``PIA+1+<code>:IN``) for one of our
    articles; it applies to the node and every node below it (the nearest one wins)."""

    customer_code = serializers.CharField(source="customer_node.code", read_only=True)
    article_code = serializers.CharField(source="article.code", read_only=True)
    packaging_level = ReferencePackagingLevelField(read_only=True)

    class Meta:
        model = CustomerArticleReference
        fields = (
            "id",
            "customer_node",
            "customer_code",
            "code",
            "article",
            "article_code",
            "packaging_level",
            "description",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="CustomerArticleReference")
class CustomerArticleReferenceInputSerializer(serializers.ModelSerializer):
    """A reference to create or update, saved by ``trade.services.references``: the
    code is taken without surrounding spaces, must be free on the node, and the
    packaging level ('' = base unit) must exist for the article."""

    packaging_level = ReferencePackagingLevelField(required=False, allow_blank=True)

    class Meta:
        model = CustomerArticleReference
        fields = CUSTOMER_ARTICLE_REFERENCE_WRITABLE_FIELDS
        # (node, code) uniqueness is the service's, with a message naming the article.
        validators: list[Any] = []

    def create(self, validated_data: dict[str, Any]) -> CustomerArticleReference:
        return customer_article_reference_create(**validated_data)

    def update(
        self, instance: CustomerArticleReference, validated_data: dict[str, Any]
    ) -> CustomerArticleReference:
        return customer_article_reference_update(reference=instance, **validated_data)


# --------------------------------------------------------------------------- lookups


class GtinMatchSerializer(serializers.Serializer):
    """The packaging a GTIN identifies and its article."""

    packaging = PackagingSerializer(read_only=True)
    article = ArticleSerializer(read_only=True)


class SearchHitSerializer(serializers.Serializer):
    kind = SearchKindField(read_only=True)
    id = serializers.IntegerField(source="pk", read_only=True)
    code = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    detail = serializers.CharField(read_only=True)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        min_length=1, max_length=100, help_text="Code, name, GLN, SIRET or GTIN."
    )
    kinds = serializers.MultipleChoiceField(
        choices=SEARCH_KINDS,
        required=False,
        help_text="Restrict to these kinds (repeat the parameter); kinds you may not view are skipped.",
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=50, default=10, help_text="Hits per kind."
    )
