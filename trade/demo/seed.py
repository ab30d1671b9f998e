"""The demo data generator: a deterministic, bulk-inserted set of master data.

Scale 1 is a small but complete négoce: our company, 2 chains (one integrated with a
regional buying group and two platforms, one franchise with a platform and stores
delivered directly), 3 platforms, 40 stores, 5 suppliers, 300 articles of which 5 kits.
Scale N repeats that unit N times with other banners, regions and suppliers, so
scale 100 gives 4,000 stores and 30,000 articles.

Why not the per-row services: at scale they would cost one to five queries per row.
Rows are built in memory, inserted with ``bulk_create`` (which returns primary keys on
PostgreSQL and SQLite ≥ 3.35), and tree paths are set level by level from those keys,
exactly as ``trade.services.tree.tree_node_save`` would write them:
``path = parent.path + "<id>/"`` (``"/<id>/"`` for a root) and ``depth = parent.depth + 1``.
The cross-row rules of the services (parent kind above or level with the child, the
invoiced node being the node itself or an ancestor, no kit cycle) hold by
construction; ``tests/trade/test_seed.py`` checks them on the result.

Determinism: every random choice comes from a ``random.Random`` seeded with a string
naming the section and the scale unit, never from the clock or from set ordering; so
two runs produce the same codes, names, GLNs, GTINs and prices, and unit 0 of any
scale is the scale-1 data set.
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.db.models import ProtectedError, RestrictedError

from comptoir import roles

from ..models import (
    AddressKind,
    Article,
    ArticleFamily,
    BackorderPolicy,
    Brand,
    Company,
    CustomerAddress,
    CustomerContact,
    CustomerNode,
    DeliveryMode,
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
    TrackingMode,
)
from ..models.tree import TreeNode
from . import identifiers as ids
from .catalogue_data import FAMILIES, KITS, Family, KitSpec, Product, format_net_weight_kg
from .data import (
    COMPANY,
    COMPANY_GLN_BODY,
    COMPANY_RIB,
    COMPANY_SIREN_BODY,
    CYCLE_SUFFIXES,
    FIRST_NAMES,
    FRANCHISE_BANNERS,
    INTEGRATED_BANNERS,
    LAST_NAMES,
    REGIONS,
    SHOPPING_AREAS,
    STORE_CONTACT_ROLES,
    STORE_QUALIFIERS,
    STREETS,
    SUPPLIER_CONTACT_ROLES,
    SUPPLIER_KINDS,
    City,
    Region,
    SupplierKind,
)

SEED = "comptoir-demo-v1"
BATCH_SIZE = 1000
# The first chain of unit 0: its presence means the demo data is already there.
DEMO_MARKER_CODE = "ENS-MDH"

STORES_PER_UNIT = 40
ARTICLES_PER_UNIT = 300

QUANT_3 = Decimal("0.001")
QUANT_4 = Decimal("0.0001")

PAYMENT_TERMS = (
    # code, label, days, end of month
    ("COMPTANT", "Comptant à réception", 0, False),
    ("30NET", "30 jours net", 30, False),
    ("45FDM", "45 jours fin de mois", 45, True),
    ("60NET", "60 jours net", 60, False),
)
PRICE_LISTS = (
    ("TARIF-GEN", "Tarif général"),
    ("TARIF-GMS", "Tarif grande distribution"),
    ("TARIF-PROXI", "Tarif proximité et franchisés"),
)
DOCUMENT_TEMPLATES = (
    ("STANDARD", "Modèle standard", True, True, True,
     "Merci de votre confiance.", "Pas d'escompte pour paiement anticipé."),
    ("GD-EDI", "Grande distribution (EDI)", True, False, True,
     "Documents échangés par EDI (EANCOM D96A).",
     "Pas d'escompte pour paiement anticipé. Indemnité forfaitaire pour frais de recouvrement : 40 €."),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    is_superuser: bool = False


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo", roles.ADMIN, "Dominique", "Démo", is_superuser=True),
    DemoUser("ventes", roles.SALES, "Claire", "Martin"),
    DemoUser("achats", roles.PURCHASING, "Julien", "Roux"),
    DemoUser("entrepot", roles.WAREHOUSE, "Karim", "Benali"),
    DemoUser("compta", roles.ACCOUNTING, "Sophie", "Lefebvre"),
)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str


@dataclass
class SeedResult:
    scale: int
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


Log = Callable[[str], None]
M = TypeVar("M", bound=models.Model)


# --------------------------------------------------------------------------- helpers


def _money(value: float | Decimal, places: Decimal = QUANT_4) -> Decimal:
    return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _slug(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in _ascii(text).lower())
    return "-".join(part for part in cleaned.split("-") if part)


LEGAL_FORMS = frozenset({"SAS", "SARL", "SA", "S.p.A.", "S.r.l.", "GmbH"})


def _domain(company_name: str) -> str:
    """An invented e-mail domain under the reserved ``.example`` top-level domain."""
    words = [word for word in company_name.split() if word not in LEGAL_FORMS]
    return f"{_slug(' '.join(words))}.example"


def _email(first: str, last: str, domain: str) -> str:
    return f"{_slug(first)}.{_slug(last)}@{domain}"


def _phone(rng: random.Random, prefix: str) -> str:
    """A phone number in the local style of ``prefix`` (French "05", "05 58", or international)."""
    if prefix.startswith("+"):
        return f"{prefix} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    groups = prefix.split()
    while len(groups) < 5:
        groups.append(f"{rng.randint(10, 99)}")
    return " ".join(groups)


def _cycle_name(name: str, cycle: int) -> str:
    """``name`` for the first pass over a pool, then with a regional suffix."""
    if cycle == 0:
        return name
    suffix = CYCLE_SUFFIXES[(cycle - 1) % len(CYCLE_SUFFIXES)]
    round_number = (cycle - 1) // len(CYCLE_SUFFIXES)
    return f"{name} {suffix}" + (f" {round_number + 1}" if round_number else "")


def _bulk_create(model: type[M], rows: Sequence[M]) -> list[M]:
    return model.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _tree_insert(model: type[TreeNode], levels: Sequence[Sequence[Any]],
                 after_insert: Callable[[Sequence[Any]], list[str]] | None = None) -> None:
    """Insert tree rows level by level and write their materialised paths.

    ``levels[d]`` holds the rows of depth ``d`` whose ``parent`` (already inserted at
    ``d - 1``) is set as an object. The insert returns the primary keys; the path is
    then ``parent.path + "<id>/"``, written with one bulk update per level, together
    with any field ``after_insert`` sets from the new keys.
    """
    for depth, rows in enumerate(levels):
        if not rows:
            continue
        for row in rows:
            row.depth = depth
        model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        for row in rows:
            parent = row.parent
            row.path = f"{parent.path if parent is not None else '/'}{row.pk}/"
        fields = ["path"] + (after_insert(rows) if after_insert else [])
        model.objects.bulk_update(rows, fields, batch_size=BATCH_SIZE)


# --------------------------------------------------------------------------- users


def demo_users_sync(*, password: str) -> tuple[dict[str, AbstractUser], list[DemoLogin]]:
    """Create or update the demo logins (one per role, ``demo`` as superuser) and set
    their password. Idempotent: re-running resets the passwords and group membership."""
    if Group.objects.filter(name__in=roles.ROLES).count() < len(roles.ROLES):
        roles.roles_sync()
    groups = {group.name: group for group in Group.objects.filter(name__in=roles.ROLES)}
    user_model = get_user_model()
    users: dict[str, AbstractUser] = {}
    logins: list[DemoLogin] = []
    for spec in DEMO_USERS:
        user, _created = user_model.objects.get_or_create(username=spec.username)
        user.first_name = spec.first_name
        user.last_name = spec.last_name
        user.email = f"{spec.username}@comptoir-occitan.example"
        user.is_active = True
        user.is_staff = spec.is_superuser
        user.is_superuser = spec.is_superuser
        # set_password does not run the password validators: "demo" is accepted on purpose.
        user.set_password(password)
        user.save()
        user.groups.set([groups[spec.role]])
        users[spec.username] = user
        logins.append(DemoLogin(spec.role, spec.username, password))
    return users, logins


# --------------------------------------------------------------------------- detection and reset


def demo_data_exists() -> bool:
    return CustomerNode.objects.filter(code=DEMO_MARKER_CODE).exists()


def demo_data_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MASTER_DATA_MODELS}


MASTER_DATA_MODELS: tuple[type[models.Model], ...] = (
    Company, PaymentTerms, PriceList, DocumentTemplate,
    CustomerNode, CustomerAddress, CustomerContact,
    Supplier, SupplierAddress, SupplierContact,
    ArticleFamily, Brand, Article, Packaging, SupplierArticle, KitComponent,
)


# Deletion order for --reset: rows before what they PROTECT.
RESET_ORDER: tuple[type[models.Model], ...] = (
    KitComponent, SupplierArticle, Packaging, Article, ArticleFamily, Brand,
    CustomerAddress, CustomerContact, CustomerNode,
    SupplierAddress, SupplierContact, Supplier,
    PriceList, DocumentTemplate, PaymentTerms, Company,
)
_MAX_DEPENDENCY_DEPTH = 8


def _unlink_self_references(model: type[models.Model], queryset: models.QuerySet[Any]) -> None:
    """Null the nullable links of rows to rows of the same table (tree parents, invoiced
    node, derived price lists): they are PROTECTed, and every one of them goes anyway."""
    links = [field.name for field in model._meta.concrete_fields
             if field.is_relation and field.related_model is model and field.null]
    if links:
        queryset.update(**dict.fromkeys(links))


def _delete_with_dependents(queryset: models.QuerySet[Any], deleted: Counter[str], depth: int = 0) -> None:
    """Delete ``queryset``; when rows of other tables PROTECT (or RESTRICT) it, delete
    those first, recursively. Django's collector raises before it writes anything, so a
    refused attempt leaves the database as it was."""
    if depth > _MAX_DEPENDENCY_DEPTH:
        raise RuntimeError(f"Dependencies of {queryset.model.__name__} nest too deep to reset.")
    while True:
        try:
            _count, per_model = queryset.delete()
        except ProtectedError as exc:
            blockers = exc.protected_objects
        except RestrictedError as exc:
            blockers = exc.restricted_objects
        else:
            deleted.update({label: count for label, count in per_model.items() if count})
            return
        pks_by_model: dict[type[models.Model], list[Any]] = defaultdict(list)
        for row in blockers:
            pks_by_model[type(row)].append(row.pk)
        for model, pks in pks_by_model.items():
            dependents = model._base_manager.filter(pk__in=pks)
            _unlink_self_references(model, dependents)
            _delete_with_dependents(dependents, deleted, depth + 1)


def demo_data_reset() -> Counter[str]:
    """Delete all trade master data; return the deleted row counts by model label.

    Rows of other apps that PROTECT master data (contracts, conditions, documents…) are
    deleted with it, and show up in the counts: this is a demo reset. Users are kept.
    """
    deleted: Counter[str] = Counter()
    for model in RESET_ORDER:
        queryset = model._base_manager.all()
        _unlink_self_references(model, queryset)
        _delete_with_dependents(queryset, deleted)
    return deleted


# --------------------------------------------------------------------------- the generator


@dataclass(frozen=True)
class _ArticlePlan:
    article: Article
    family: Family


class DemoBuilder:
    """Builds the demo data set for ``scale`` units and inserts it in bulk."""

    def __init__(self, *, scale: int, salesperson: AbstractUser | None, log: Log) -> None:
        if scale < 1:
            raise ValueError("scale must be at least 1")
        self.scale = scale
        self.salesperson = salesperson
        self.log = log
        self.result = SeedResult(scale=scale)
        self.sirens = ids.SirenPool(f"{SEED}/siren")
        self.sirens.reserve(ids.siren_with_check_digit(COMPANY_SIREN_BODY))
        self.payment_terms: dict[str, PaymentTerms] = {}
        self.price_lists: dict[str, PriceList] = {}
        self.templates: dict[str, DocumentTemplate] = {}
        self.brands: dict[str, Brand] = {}
        self.families: dict[str, ArticleFamily] = {}
        # suppliers[unit][kind key] = (supplier, supplier number)
        self.suppliers: list[dict[str, tuple[Supplier, int]]] = []
        self.supplier_kinds: dict[str, SupplierKind] = {kind.key: kind for kind in SUPPLIER_KINDS}
        self.reference_counters: dict[int, int] = defaultdict(int)

    # ------------------------------------------------------------------ orchestration

    def run(self) -> SeedResult:
        steps: tuple[tuple[str, Callable[[], None]], ...] = (
            ("reference data", self.seed_reference_data),
            ("company", self.seed_company),
            ("families and brands", self.seed_families_and_brands),
            ("suppliers", self.seed_suppliers),
            ("customers", self.seed_customers),
            ("articles", self.seed_articles),
        )
        for label, step in steps:
            started = time.perf_counter()
            step()
            elapsed = time.perf_counter() - started
            self.result.timings[label] = elapsed
            self.log(f"  {label:<22} {elapsed:6.2f} s")
        self.result.counts = demo_data_counts()
        return self.result

    # ------------------------------------------------------------------ reference data

    def seed_reference_data(self) -> None:
        """Payment terms, price lists and document templates: created when missing."""
        self.payment_terms = self._ensure(
            PaymentTerms,
            [PaymentTerms(code=code, label=label, days=days, end_of_month=eom)
             for code, label, days, eom in PAYMENT_TERMS],
        )
        self.price_lists = self._ensure(
            PriceList, [PriceList(code=code, name=name) for code, name in PRICE_LISTS]
        )
        self.templates = self._ensure(
            DocumentTemplate,
            [DocumentTemplate(code=code, name=name, show_lots=lots, show_discount_breakdown=discounts,
                              show_gtin=gtin, header_text=header, footer_text=footer)
             for code, name, lots, discounts, gtin, header, footer in DOCUMENT_TEMPLATES],
        )

    @staticmethod
    def _ensure(model: type[M], wanted: list[M], key: str = "code") -> dict[str, M]:
        existing = {getattr(row, key): row for row in
                    model.objects.filter(**{f"{key}__in": [getattr(w, key) for w in wanted]})}
        missing = [row for row in wanted if getattr(row, key) not in existing]
        for row in _bulk_create(model, missing):
            existing[getattr(row, key)] = row
        return existing

    def seed_company(self) -> None:
        """Our company (the single row pk = 1), unless one is already set up."""
        if Company.objects.exists():
            self.log("  company already set up: kept as is")
            return
        siren = ids.siren_with_check_digit(COMPANY_SIREN_BODY)
        company = Company(
            **COMPANY,
            siren=siren,
            siret=ids.siret(siren, 1),
            vat_number=ids.fr_vat_from_siren(siren),
            gln=ids.gln(COMPANY_GLN_BODY),
            iban=ids.french_iban(*COMPANY_RIB),
        )
        company.full_clean()
        company.save()

    # ------------------------------------------------------------------ catalogue tree

    def seed_families_and_brands(self) -> None:
        brand_names = sorted(
            {name for kind in SUPPLIER_KINDS for name in kind.brands}
            | {name for family in FAMILIES for name in family.brands}
        )
        self.brands = self._ensure(Brand, [Brand(name=name) for name in brand_names], key="name")

        existing = set(ArticleFamily.objects.filter(code__in=[f.code for f in FAMILIES])
                       .values_list("code", flat=True))
        if existing:
            # A partial earlier install: reuse what is there, add nothing that clashes.
            self.families = {f.code: f for f in ArticleFamily.objects.filter(code__in=existing)}
        levels: list[list[ArticleFamily]] = []
        depth_of: dict[str, int] = {}
        for spec in FAMILIES:
            depth = depth_of[spec.parent] + 1 if spec.parent else 0
            depth_of[spec.code] = depth
            if spec.code in self.families:
                continue
            row = ArticleFamily(code=spec.code, name=spec.name,
                                parent=self.families[spec.parent] if spec.parent else None)
            self.families[spec.code] = row
            while len(levels) <= depth:
                levels.append([])
            levels[depth].append(row)
        _tree_insert(ArticleFamily, levels)

    # ------------------------------------------------------------------ suppliers

    def seed_suppliers(self) -> None:
        suppliers: list[Supplier] = []
        addresses: list[SupplierAddress] = []
        contacts: list[SupplierContact] = []
        for unit in range(self.scale):
            rng = random.Random(f"{SEED}/suppliers/{unit}")
            by_kind: dict[str, tuple[Supplier, int]] = {}
            for index, kind in enumerate(SUPPLIER_KINDS):
                number = unit * len(SUPPLIER_KINDS) + index + 1
                seed = kind.pool[unit % len(kind.pool)]
                name = _cycle_name(seed.name, unit // len(kind.pool))
                supplier = Supplier(
                    code=f"FOU-{number:04d}",
                    name=name,
                    gln=ids.supplier_gln(kind.country, number),
                    lead_time_days=rng.randint(*kind.lead_time_days),
                    minimum_order_amount=_money(
                        rng.randrange(kind.minimum_order[0], kind.minimum_order[1] + 1, 50), Decimal("0.01")
                    ),
                    payment_terms=self.payment_terms[kind.payment_terms_code],
                )
                if kind.country == "FR":
                    siren = self.sirens.draw()
                    supplier.siren = siren
                    supplier.siret = ids.siret(siren, 1)
                    supplier.vat_number = ids.fr_vat_from_siren(siren)
                elif kind.country == "IT":
                    supplier.vat_number = ids.italian_vat(1_000_000 + number * 37)
                else:
                    supplier.vat_number = ids.german_vat(10_000_000 + number * 53)
                suppliers.append(supplier)
                by_kind[kind.key] = (supplier, number)
                addresses.append(SupplierAddress(
                    supplier=supplier, kind=AddressKind.HEAD_OFFICE, line1=seed.line1,
                    postal_code=seed.postal_code, city=seed.city, country=kind.country,
                ))
                domain = _domain(seed.name)
                for role in SUPPLIER_CONTACT_ROLES:
                    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                    contacts.append(SupplierContact(
                        supplier=supplier, name=f"{first} {last}", role=role,
                        email=_email(first, last, domain), phone=_phone(rng, kind.phone_prefix),
                    ))
            self.suppliers.append(by_kind)
        _bulk_create(Supplier, suppliers)
        _bulk_create(SupplierAddress, addresses)
        _bulk_create(SupplierContact, contacts)

    # ------------------------------------------------------------------ customers

    def seed_customers(self) -> None:
        builder = _CustomerTreeBuilder(self)
        for unit in range(self.scale):
            rng = random.Random(f"{SEED}/customers/{unit}")
            regions = [REGIONS[(3 * unit + offset) % len(REGIONS)] for offset in range(3)]
            builder.integrated_chain(unit, rng, regions[0], regions[1])
            builder.franchise_chain(unit, rng, regions[2])
        builder.insert()

    # ------------------------------------------------------------------ articles

    def seed_articles(self) -> None:
        plans: list[_ArticlePlan] = []
        kits: list[tuple[Article, list[tuple[_ArticlePlan, int]]]] = []
        packagings: list[Packaging] = []
        supplier_articles: list[SupplierArticle] = []
        item_counters: dict[int, int] = defaultdict(int)
        article_number = 0
        kit_number = 0
        leaves = [family for family in FAMILIES if family.quota]
        for unit in range(self.scale):
            rng = random.Random(f"{SEED}/articles/{unit}")
            unit_plans: dict[str, list[_ArticlePlan]] = defaultdict(list)
            for family in leaves:
                for index, (product, variant) in enumerate(_combinations(family)):
                    article_number += 1
                    plan = self._article(unit, rng, family, product, variant, index, article_number,
                                         item_counters, packagings, supplier_articles)
                    plans.append(plan)
                    unit_plans[family.code].append(plan)
            for spec in KITS:
                kit_number += 1
                components: list[tuple[_ArticlePlan, int]] = []
                for code, keyword, quantity in spec.components:
                    taken = [plan for plan, _quantity in components]
                    components.append((_pick(unit_plans[code], keyword, exclude=taken), quantity))
                kit = self._kit(rng, spec, kit_number, components, packagings)
                kits.append((kit, components))
        articles = [plan.article for plan in plans] + [kit for kit, _components in kits]
        _bulk_create(Article, articles)
        _bulk_create(Packaging, packagings)
        _bulk_create(SupplierArticle, supplier_articles)
        _bulk_create(KitComponent, [
            KitComponent(kit=kit, component=plan.article, quantity=Decimal(quantity))
            for kit, components in kits for plan, quantity in components
        ])

    def _article(self, unit: int, rng: random.Random, family: Family, product: Product, variant: str,
                 index: int, article_number: int, item_counters: dict[int, int],
                 packagings: list[Packaging], supplier_articles: list[SupplierArticle]) -> _ArticlePlan:
        preferred_kind = self.supplier_kinds[family.supplier_kinds[0]]
        supplier, supplier_number = self.suppliers[unit][preferred_kind.key]
        brand_names = family.brands or preferred_kind.brands
        tracking = product.tracking_mode or family.tracking_mode
        by_weight = product.base_unit == "kg"
        joiner = ", " if by_weight or tracking == TrackingMode.SERIAL else " "
        net_weight = (Decimal("1.000") if by_weight else
                      format_net_weight_kg(variant) or _money(product.weight_kg or 0.5, QUANT_3))
        article = Article(
            code=f"A{article_number:06d}",
            designation=f"{product.name}{joiner}{variant}",
            brand=self.brands[brand_names[(index + unit) % len(brand_names)]],
            family=self.families[family.code],
            vat_rate=product.vat_rate or family.vat_rate,
            base_unit=product.base_unit,
            net_weight_kg=net_weight,
            tracking_mode=tracking,
            shelf_life_days=_shelf_life(rng, family, tracking),
            status="blocked" if rng.random() < 0.02 else "active",
        )
        # Packagings: GTIN-13 on the consumer unit under the brand owner's prefix, GTIN-14
        # on the case and the pallet (indicator digits 1 and 3); layers carry no GTIN.
        item_counters[supplier_number] += 1
        prefix = f"{preferred_kind.gs1_prefix}{supplier_number:04d}"
        gtin = ids.gtin13(prefix, item_counters[supplier_number])
        case_size = Decimal(rng.choice(family.case_sizes))
        if by_weight:
            case_size = Decimal(rng.choice(("2.500", "4.000", "5.000", "6.000")))
        cases_per_layer = rng.randint(*family.cases_per_layer)
        layers = rng.randint(*family.layers_per_pallet)
        unit_gross = (net_weight * Decimal("1.08") + Decimal("0.02")).quantize(QUANT_3)
        case_gross = (unit_gross * case_size + Decimal("0.30")).quantize(QUANT_3)
        if not by_weight:
            packagings.append(Packaging(article=article, level=PackagingLevel.CONSUMER_UNIT,
                                        quantity=Decimal("1.000"), gtin=gtin, gross_weight_kg=unit_gross))
        packagings.append(Packaging(
            article=article, level=PackagingLevel.CASE, quantity=case_size,
            # Variable-measure cases (sold by weight) take indicator 9.
            gtin=ids.gtin14(9 if by_weight else 1, gtin), gross_weight_kg=case_gross,
        ))
        packagings.append(Packaging(
            article=article, level=PackagingLevel.LAYER, quantity=case_size * cases_per_layer,
            gross_weight_kg=(case_gross * cases_per_layer).quantize(QUANT_3),
        ))
        packagings.append(Packaging(
            article=article, level=PackagingLevel.PALLET, quantity=case_size * cases_per_layer * layers,
            gtin="" if by_weight else ids.gtin14(3, gtin),
            gross_weight_kg=(case_gross * cases_per_layer * layers + Decimal("25")).quantize(QUANT_3),
        ))
        # Purchase price per base unit: the product's reference price scaled to the format.
        reference_weight = format_net_weight_kg(product.formats[0])
        ratio = 1.0
        if reference_weight and not by_weight and net_weight:
            ratio = float(net_weight / reference_weight) ** 0.9
        price = product.price * ratio * rng.uniform(0.92, 1.08)
        second_kinds = family.supplier_kinds[1:]
        has_second = bool(second_kinds) and rng.random() < family.second_source_share
        supplier_articles.append(self._supplier_article(supplier, supplier_number, preferred_kind, article,
                                                        price, case_size, preferred=True))
        if has_second:
            second_kind = self.supplier_kinds[second_kinds[0]]
            second, second_number = self.suppliers[unit][second_kind.key]
            supplier_articles.append(self._supplier_article(
                second, second_number, second_kind, article, price * rng.uniform(0.96, 1.12), case_size,
                preferred=False,
            ))
        return _ArticlePlan(article, family)

    def _supplier_article(self, supplier: Supplier, supplier_number: int, kind: SupplierKind,
                          article: Article, price: float, case_size: Decimal, *, preferred: bool
                          ) -> SupplierArticle:
        self.reference_counters[supplier_number] += 1
        counter = self.reference_counters[supplier_number]
        return SupplierArticle(
            supplier=supplier, article=article,
            supplier_reference=kind.reference_format.format(n=1000 + counter * 7),
            purchase_price=_money(max(price, 0.05)),
            minimum_order_quantity=case_size, is_preferred=preferred,
        )

    def _kit(self, rng: random.Random, spec: KitSpec, kit_number: int,
             components: list[tuple[_ArticlePlan, int]], packagings: list[Packaging]) -> Article:
        rates = [Decimal(plan.article.vat_rate) for plan, _quantity in components]
        weight = sum((plan.article.net_weight_kg or Decimal(0)) * quantity for plan, quantity in components)
        article = Article(
            code=f"KIT-{kit_number:04d}",
            designation=spec.name,
            family=self.families[spec.family],
            # A composite lot sold at one price bears the highest rate of its contents.
            vat_rate=f"{max(rates):.2f}",
            base_unit="unit",
            net_weight_kg=Decimal(weight).quantize(QUANT_3),
            tracking_mode=TrackingMode.LOT_DDM if spec.kit_kind == "assembled" else TrackingMode.NONE,
            shelf_life_days=spec.shelf_life_days if spec.kit_kind == "assembled" else None,
            kit_kind=spec.kit_kind,
        )
        gtin = ids.gtin13(ids.OUR_GTIN_PREFIX, kit_number)
        case_size = Decimal(rng.choice((4, 6)))
        per_layer = rng.randint(6, 8)
        layers = rng.randint(3, 4)
        unit_gross = (Decimal(weight) * Decimal("1.15") + Decimal("0.30")).quantize(QUANT_3)
        packagings.extend([
            Packaging(article=article, level=PackagingLevel.CONSUMER_UNIT, quantity=Decimal(1), gtin=gtin,
                      gross_weight_kg=unit_gross),
            Packaging(article=article, level=PackagingLevel.CASE, quantity=case_size,
                      gtin=ids.gtin14(1, gtin), gross_weight_kg=(unit_gross * case_size).quantize(QUANT_3)),
            Packaging(article=article, level=PackagingLevel.LAYER, quantity=case_size * per_layer),
            Packaging(article=article, level=PackagingLevel.PALLET, quantity=case_size * per_layer * layers,
                      gtin=ids.gtin14(3, gtin)),
        ])
        return article


def _combinations(family: Family) -> list[tuple[Product, str]]:
    """``family.quota`` (product, format) pairs: every product's first format, then the
    second formats, and so on; repeated if the family has fewer pairs than its quota."""
    pairs: list[tuple[Product, str]] = []
    depth = max(len(product.formats) for product in family.products)
    for position in range(depth):
        pairs.extend((product, product.formats[position]) for product in family.products
                     if position < len(product.formats))
    return [pairs[index % len(pairs)] for index in range(family.quota)]


def _pick(plans: list[_ArticlePlan], keyword: str, *, exclude: list[_ArticlePlan]) -> _ArticlePlan:
    """The first article of a family whose designation holds ``keyword`` (else the first
    one), never one already in the kit."""
    candidates = [plan for plan in plans if all(plan is not taken for taken in exclude)]
    for plan in candidates:
        if keyword.lower() in plan.article.designation.lower():
            return plan
    return candidates[0]


def _shelf_life(rng: random.Random, family: Family, tracking: str) -> int | None:
    if tracking not in (TrackingMode.LOT_DLC, TrackingMode.LOT_DDM) or family.shelf_life_days is None:
        return None
    low, high = family.shelf_life_days
    if tracking == TrackingMode.LOT_DDM:
        usual = [days for days in (180, 240, 270, 300, 365, 450, 540, 600, 720) if low <= days <= high]
        if usual:
            return rng.choice(usual)
    return rng.randint(low, high)


# --------------------------------------------------------------------------- customer tree


class _CustomerTreeBuilder:
    """Builds the customer nodes of every scale unit, then inserts them level by level."""

    def __init__(self, owner: DemoBuilder) -> None:
        self.owner = owner
        self.levels: list[list[CustomerNode]] = []
        self.invoiced_to: list[tuple[CustomerNode, CustomerNode]] = []
        self.addresses: list[CustomerAddress] = []
        self.contacts: list[CustomerContact] = []
        self.chain_number = 0

    # ------------------------------------------------------------------ nodes

    def node(self, *, parent: CustomerNode | None, depth: int, kind: str, code: str, name: str,
             gln: str, siren: str, establishment: int, **settings: Any) -> CustomerNode:
        row = CustomerNode(kind=kind, parent=parent, code=code, name=name, gln=gln, siren=siren,
                           siret=ids.siret(siren, establishment), vat_number=ids.fr_vat_from_siren(siren),
                           **settings)
        while len(self.levels) <= depth:
            self.levels.append([])
        self.levels[depth].append(row)
        return row

    def address(self, rng: random.Random, node: CustomerNode, kind: str, city: City, *,
                line1: str | None = None, line2: str = "") -> None:
        self.addresses.append(CustomerAddress(
            customer=node, kind=kind,
            line1=line1 or f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
            line2=line2, postal_code=city.postal_code, city=city.name,
        ))

    def contact(self, rng: random.Random, node: CustomerNode, role: str, domain: str,
                phone_prefix: str) -> None:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        self.contacts.append(CustomerContact(
            customer=node, name=f"{first} {last}", role=role, email=_email(first, last, domain),
            phone=_phone(rng, phone_prefix),
        ))

    def stores(self, rng: random.Random, *, parent: CustomerNode, depth: int, region: Region, count: int,
               banner: str, abbreviation: str, first_number: int, chain_number: int, domain: str,
               integrated_siren: str | None, overrides: dict[int, dict[str, Any]]) -> None:
        used_names: set[str] = set()
        for position in range(count):
            number = first_number + position
            city = region.cities[(position + chain_number) % len(region.cities)]
            name = f"{banner} {city.name}"
            qualifier = 0
            while name in used_names:
                name = f"{banner} {city.name} {STORE_QUALIFIERS[qualifier % len(STORE_QUALIFIERS)]}"
                qualifier += 1
            used_names.add(name)
            # Integrated stores are establishments of the chain's company; franchisees
            # are companies of their own.
            siren = integrated_siren or self.owner.sirens.draw()
            store = self.node(
                parent=parent, depth=depth, kind=NodeKind.STORE, code=f"MAG-{abbreviation}-{number:03d}",
                name=name, gln=ids.customer_gln(chain_number, 100 + number), siren=siren,
                establishment=100 + number if integrated_siren else 1, **overrides.get(position, {}),
            )
            if overrides.get(position, {}).get("payment_terms") is not None:
                self.invoiced_to.append((store, store))
            area = rng.choice(SHOPPING_AREAS) if rng.random() < 0.35 else ""
            self.address(rng, store, AddressKind.DELIVERY, city, line2=area)
            self.contact(rng, store, STORE_CONTACT_ROLES[0], domain, region.phone_prefix)
            if rng.random() < 0.5:
                self.contact(rng, store, STORE_CONTACT_ROLES[1], domain, region.phone_prefix)

    # ------------------------------------------------------------------ the two chain shapes

    def _banner(self, pool: tuple[tuple[str, str], ...], unit: int) -> tuple[str, str]:
        abbreviation, name = pool[unit % len(pool)]
        cycle = unit // len(pool)
        return (abbreviation + (str(cycle + 1) if cycle else "")), _cycle_name(name, cycle)

    def integrated_chain(self, unit: int, rng: random.Random, regional: Region, second: Region) -> None:
        """Chain → national buying group → (regional buying group → platform → 12 stores)
        and (platform → 14 stores). Settings spread over the levels so inheritance shows."""
        owner = self.owner
        self.chain_number += 1
        chain_number = self.chain_number
        abbreviation, banner = self._banner(INTEGRATED_BANNERS, unit)
        domain = _domain(banner)
        chain_siren = owner.sirens.draw()
        chain = self.node(
            parent=None, depth=0, kind=NodeKind.CHAIN, code=f"ENS-{abbreviation}", name=banner,
            gln=ids.customer_gln(chain_number, 1), siren=chain_siren, establishment=1,
            delivery_mode=DeliveryMode.VIA_PLATFORM, min_shelf_life_value=66,
            min_shelf_life_unit=ShelfLifeUnit.PERCENT, price_list=owner.price_lists["TARIF-GMS"],
            document_template=owner.templates["GD-EDI"], salesperson=owner.salesperson,
            document_language="fr", full_cases_only=True, backorder_policy=BackorderPolicy.CUT,
        )
        self.address(rng, chain, AddressKind.HEAD_OFFICE, second.cities[0])
        self.contact(rng, chain, "Directeur des achats", domain, second.phone_prefix)

        group_siren = owner.sirens.draw()
        group = self.node(
            parent=chain, depth=1, kind=NodeKind.BUYING_GROUP, code=f"CEN-{abbreviation}",
            name=f"Centrale d'achats {banner}", gln=ids.customer_gln(chain_number, 2), siren=group_siren,
            establishment=1, payment_terms=owner.payment_terms["45FDM"], credit_limit=Decimal("500000.00"),
        )
        self.invoiced_to.append((group, group))
        self.address(rng, group, AddressKind.HEAD_OFFICE, second.cities[0])
        self.address(rng, group, AddressKind.BILLING, second.cities[0],
                     line1=f"Service comptabilité fournisseurs, BP {rng.randint(100, 9999)}")
        self.contact(rng, group, "Acheteur épicerie", domain, second.phone_prefix)
        self.contact(rng, group, "Comptabilité fournisseurs", domain, second.phone_prefix)

        regional_siren = owner.sirens.draw()
        regional_group = self.node(
            parent=group, depth=2, kind=NodeKind.BUYING_GROUP, code=f"CEN-{abbreviation}-{regional.code}",
            name=f"Centrale régionale {banner} {regional.label}", gln=ids.customer_gln(chain_number, 3),
            siren=regional_siren, establishment=1, payment_terms=owner.payment_terms["60NET"],
            credit_limit=Decimal("150000.00"),
        )
        self.invoiced_to.append((regional_group, regional_group))
        self.address(rng, regional_group, AddressKind.HEAD_OFFICE, regional.cities[0])
        self.contact(rng, regional_group, "Acheteur frais", domain, regional.phone_prefix)

        platform_regional = self.node(
            parent=regional_group, depth=3, kind=NodeKind.PLATFORM, code=f"PF-{abbreviation}-{regional.code}",
            name=f"Plateforme {banner} {regional.hub.name}", gln=ids.customer_gln(chain_number, 4),
            siren=chain_siren, establishment=2,
        )
        self.address(rng, platform_regional, AddressKind.DELIVERY, regional.hub, line1=regional.hub_line)
        self.contact(rng, platform_regional, "Responsable réception", domain, regional.phone_prefix)

        platform_second = self.node(
            parent=group, depth=2, kind=NodeKind.PLATFORM, code=f"PF-{abbreviation}-{second.code}",
            name=f"Plateforme {banner} {second.hub.name}", gln=ids.customer_gln(chain_number, 5),
            siren=chain_siren, establishment=3,
            # Overrides the chain's 66 % with a fixed number of days.
            min_shelf_life_value=21, min_shelf_life_unit=ShelfLifeUnit.DAYS,
        )
        self.address(rng, platform_second, AddressKind.DELIVERY, second.hub, line1=second.hub_line)
        self.contact(rng, platform_second, "Responsable réception", domain, second.phone_prefix)

        common = {"banner": banner, "abbreviation": abbreviation, "chain_number": chain_number,
                  "domain": domain, "integrated_siren": chain_siren}
        self.stores(rng, parent=platform_regional, depth=4, region=regional, count=12, first_number=1,
                    overrides={}, **common)
        self.stores(rng, parent=platform_second, depth=3, region=second, count=14, first_number=13,
                    overrides={
                        2: {"delivery_mode": DeliveryMode.DIRECT},
                        4: {"full_cases_only": False},
                        7: {"is_blocked": True},
                    }, **common)

    def franchise_chain(self, unit: int, rng: random.Random, region: Region) -> None:
        """Chain → buying group → (platform → 9 stores) and 5 stores delivered directly."""
        owner = self.owner
        self.chain_number += 1
        chain_number = self.chain_number
        abbreviation, banner = self._banner(FRANCHISE_BANNERS, unit)
        domain = _domain(banner)
        chain = self.node(
            parent=None, depth=0, kind=NodeKind.CHAIN, code=f"ENS-{abbreviation}", name=banner,
            gln=ids.customer_gln(chain_number, 1), siren=owner.sirens.draw(), establishment=1,
            delivery_mode=DeliveryMode.DIRECT, min_shelf_life_value=50,
            min_shelf_life_unit=ShelfLifeUnit.PERCENT, price_list=owner.price_lists["TARIF-PROXI"],
            document_template=owner.templates["STANDARD"], document_language="fr",
            backorder_policy=BackorderPolicy.BACKORDER, full_cases_only=False,
        )
        self.address(rng, chain, AddressKind.HEAD_OFFICE, region.cities[0])
        self.contact(rng, chain, "Directeur du réseau", domain, region.phone_prefix)

        group_siren = owner.sirens.draw()
        group = self.node(
            parent=chain, depth=1, kind=NodeKind.BUYING_GROUP, code=f"CEN-{abbreviation}",
            name=f"Centrale {banner}", gln=ids.customer_gln(chain_number, 2), siren=group_siren,
            establishment=1, payment_terms=owner.payment_terms["30NET"], salesperson=owner.salesperson,
            credit_limit=Decimal("250000.00"),
        )
        self.invoiced_to.append((group, group))
        self.address(rng, group, AddressKind.HEAD_OFFICE, region.cities[0])
        self.contact(rng, group, "Acheteuse épicerie", domain, region.phone_prefix)
        self.contact(rng, group, "Comptabilité fournisseurs", domain, region.phone_prefix)

        platform = self.node(
            parent=group, depth=2, kind=NodeKind.PLATFORM, code=f"PF-{abbreviation}-{region.code}",
            name=f"Plateforme {banner} {region.hub.name}", gln=ids.customer_gln(chain_number, 3),
            siren=group_siren, establishment=2,
            # The chain delivers stores directly; the stores below this platform go through it.
            delivery_mode=DeliveryMode.VIA_PLATFORM,
        )
        self.address(rng, platform, AddressKind.DELIVERY, region.hub, line1=region.hub_line)
        self.contact(rng, platform, "Responsable réception", domain, region.phone_prefix)

        common = {"banner": banner, "abbreviation": abbreviation, "chain_number": chain_number,
                  "domain": domain, "integrated_siren": None, "region": region}
        self.stores(rng, parent=platform, depth=3, count=9, first_number=1, overrides={}, **common)
        self.stores(rng, parent=group, depth=2, count=5, first_number=10, overrides={
            # A new franchisee paying cash, invoiced directly, on the general price list.
            1: {"payment_terms": owner.payment_terms["COMPTANT"],
                "price_list": owner.price_lists["TARIF-GEN"]},
        }, **common)

    # ------------------------------------------------------------------ insert

    def insert(self) -> None:
        invoiced_by_level: dict[int, list[tuple[CustomerNode, CustomerNode]]] = defaultdict(list)
        depth_of = {id(row): depth for depth, rows in enumerate(self.levels) for row in rows}
        for node, target in self.invoiced_to:
            invoiced_by_level[depth_of[id(node)]].append((node, target))

        def set_invoicing(rows: Sequence[CustomerNode]) -> list[str]:
            # The invoiced node is the node itself or an ancestor: only known once inserted.
            depth = rows[0].depth
            for node, target in invoiced_by_level.get(depth, []):
                node.invoicing_node = target
            return ["invoicing_node"] if invoiced_by_level.get(depth) else []

        _tree_insert(CustomerNode, self.levels, after_insert=set_invoicing)
        _bulk_create(CustomerAddress, self.addresses)
        _bulk_create(CustomerContact, self.contacts)


def demo_data_seed(*, scale: int, salesperson: AbstractUser | None, log: Log) -> SeedResult:
    """Insert the demo master data at ``scale``. Precondition: no demo data yet (see
    ``demo_data_exists``); run inside a transaction so a failure leaves nothing."""
    return DemoBuilder(scale=scale, salesperson=salesperson, log=log).run()
