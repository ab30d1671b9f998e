"""The demo catalogue as data: a family tree, and per leaf family the products,
formats, VAT, tracking and logistics habits of the trade.

VAT follows the French rules for what a food wholesaler sells: 5.5 % for food and
soft drinks, 20 % for alcohol, confectionery, milk and white chocolate, appliances
and non-food; 10 % for food prepared for immediate consumption (sandwiches).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

VAT_FOOD = "5.50"
VAT_STANDARD = "20.00"
VAT_INTERMEDIATE = "10.00"


@dataclass(frozen=True)
class Product:
    """A product line; each format (or colour, for appliances) makes one article."""

    name: str
    formats: tuple[str, ...]
    price: float  # purchase price of the first format, per base unit
    vat_rate: str | None = None  # overrides the family's
    tracking_mode: str | None = None  # overrides the family's
    weight_kg: float | None = None  # when the format does not say it (appliances, non-food)
    base_unit: str = "unit"  # "kg": sold by weight, no consumer-unit GTIN


@dataclass(frozen=True)
class Family:
    code: str
    name: str
    parent: str | None = None
    quota: int = 0  # articles per scale unit (leaf families only)
    vat_rate: str = VAT_FOOD
    tracking_mode: str = "none"
    shelf_life_days: tuple[int, int] | None = None
    supplier_kinds: tuple[str, ...] = ()  # preferred kind first, then possible second sources
    second_source_share: float = 0.0  # share of articles that also get the second source
    case_sizes: tuple[int, ...] = (6, 12)
    cases_per_layer: tuple[int, int] = (8, 12)
    layers_per_pallet: tuple[int, int] = (4, 6)
    products: tuple[Product, ...] = field(default_factory=tuple)
    brands: tuple[str, ...] = ()  # when empty, the preferred supplier's brands


P = Product

FAMILIES: tuple[Family, ...] = (
    Family("EPS", "Épicerie salée"),
    Family(
        "EPS-CON", "Conserves de légumes", "EPS", 15, VAT_FOOD, "lot_ddm", (540, 720),
        ("savory", "italian"), 0.2, (12, 24), (8, 12), (4, 5),
        (
            P("Haricots verts extra-fins", ("boîte 800 g", "boîte 400 g"), 1.45),
            P("Petits pois carottes à l'étuvée", ("boîte 800 g", "boîte 400 g"), 1.25),
            P("Maïs doux en grains", ("boîte 285 g", "lot 3 x 140 g"), 0.85),
            P("Flageolets verts extra-fins", ("boîte 800 g",), 1.35),
            P("Ratatouille cuisinée à l'huile d'olive", ("boîte 750 g", "boîte 375 g"), 2.10),
            P("Champignons de Paris émincés", ("boîte 400 g", "bocal 230 g"), 1.15),
            P("Lentilles cuisinées aux carottes", ("boîte 800 g",), 1.40),
            P("Cœurs d'artichauts", ("boîte 390 g",), 2.35),
            P("Tomates pelées entières", ("boîte 800 g",), 0.95),
            P("Pois chiches au naturel", ("boîte 400 g",), 0.75),
        ),
    ),
    Family(
        "EPS-PLC", "Plats cuisinés", "EPS", 12, VAT_FOOD, "lot_ddm", (720, 720),
        ("savory",), 0.0, (6, 12), (8, 10), (4, 5),
        (
            P("Cassoulet au confit de canard", ("boîte 840 g", "boîte 420 g", "bocal 1,5 kg"), 4.60),
            P("Confit de canard 4 cuisses", ("boîte 1,35 kg",), 11.80),
            P("Petit salé aux lentilles", ("boîte 840 g",), 3.20),
            P("Choucroute garnie", ("boîte 800 g",), 3.40),
            P("Bœuf bourguignon", ("boîte 800 g", "boîte 400 g"), 4.10),
            P("Raviolis pur bœuf", ("boîte 800 g",), 1.90),
            P("Chili con carne", ("boîte 840 g",), 2.70),
            P("Garbure béarnaise", ("bocal 750 g",), 3.90),
            P("Axoa de veau", ("bocal 650 g",), 5.20),
            P("Gésiers de canard confits", ("boîte 250 g",), 3.60),
        ),
    ),
    Family(
        "EPS-PAT", "Pâtes, riz et féculents", "EPS", 18, VAT_FOOD, "lot_ddm", (540, 720),
        ("italian", "savory"), 0.15, (12, 20), (10, 14), (5, 6),
        (
            P("Spaghetti n°5", ("500 g", "1 kg"), 0.78),
            P("Penne rigate", ("500 g", "1 kg"), 0.80),
            P("Fusilli", ("500 g", "1 kg"), 0.80),
            P("Coquillettes", ("500 g",), 0.72),
            P("Tagliatelles aux œufs frais", ("250 g", "500 g"), 1.35),
            P("Riz long grain étuvé", ("1 kg", "500 g"), 1.40),
            P("Riz basmati", ("1 kg", "500 g"), 2.10),
            P("Riz de Camargue IGP", ("1 kg",), 2.60),
            P("Semoule de blé moyenne", ("1 kg",), 1.05),
            P("Purée en flocons", ("4 x 125 g",), 1.50),
            P("Lentilles vertes du Puy AOP", ("500 g",), 2.05),
            P("Quinoa blond", ("400 g",), 2.40),
        ),
    ),
    Family(
        "EPS-HUI", "Huiles, vinaigres et condiments", "EPS", 15, VAT_FOOD, "lot_ddm", (360, 720),
        ("savory", "italian"), 0.3, (6, 12), (8, 12), (4, 5),
        (
            P("Huile d'olive vierge extra", ("1 l", "50 cl"), 6.90),
            P("Huile de tournesol", ("1 l",), 1.85),
            P("Huile de colza", ("1 l",), 1.95),
            P("Vinaigre de vin rouge", ("50 cl",), 0.95),
            P("Vinaigre balsamique de Modène IGP", ("25 cl", "50 cl"), 2.60),
            P("Moutarde de Dijon", ("bocal 370 g", "bocal 210 g"), 1.30),
            P("Mayonnaise aux œufs frais", ("bocal 235 g",), 1.25),
            P("Ketchup", ("flacon 560 g",), 1.40),
            P("Sel fin iodé", ("boîte 1 kg",), 0.45, tracking_mode="none"),
            P("Cornichons extra-fins", ("bocal 370 g",), 1.60),
            P("Herbes de Provence", ("pot 20 g",), 1.10),
            P("Poivre noir moulu", ("pot 50 g",), 1.70),
        ),
    ),
    Family(
        "EPS-APE", "Apéritif", "EPS", 15, VAT_FOOD, "lot_ddm", (180, 365),
        ("savory", "italian"), 0.25, (10, 12, 20), (8, 10), (4, 6),
        (
            P("Chips nature", ("150 g", "300 g"), 0.95),
            P("Chips à l'ancienne", ("125 g",), 1.15),
            P("Cacahuètes grillées salées", ("200 g",), 1.05),
            P("Olives vertes dénoyautées", ("bocal 160 g",), 1.45),
            P("Olives noires à la grecque", ("bocal 200 g",), 1.70),
            P("Tapenade noire", ("pot 90 g",), 1.85),
            P("Tartinade d'artichaut", ("pot 90 g",), 1.95),
            P("Crackers au fromage", ("100 g",), 1.10),
            P("Bretzels salés", ("200 g",), 0.98),
            P("Pistaches grillées salées", ("250 g",), 3.40),
            P("Mélange apéritif", ("300 g",), 2.20),
            P("Biscuits apéritif à l'emmental", ("100 g",), 1.20),
            P("Noix de cajou grillées", ("125 g",), 2.30),
            P("Olives cassées aux herbes", ("bocal 200 g",), 1.75),
        ),
    ),
    Family(
        "EPS-SOU", "Soupes et bouillons", "EPS", 10, VAT_FOOD, "lot_ddm", (270, 540),
        ("savory",), 0.0, (6, 12), (8, 12), (4, 5),
        (
            P("Velouté de potiron", ("brique 1 l", "brique 50 cl"), 1.65),
            P("Soupe de poissons", ("bocal 780 g",), 3.20),
            P("Bouillon de volaille", ("boîte 10 cubes 100 g",), 1.05),
            P("Velouté de légumes du jardin", ("brique 1 l",), 1.55),
            P("Gaspacho andalou", ("brique 1 l",), 2.10),
            P("Soupe à l'oignon", ("sachet 70 g",), 0.85),
            P("Bouillon de bœuf", ("boîte 10 cubes 100 g",), 1.05),
            P("Soupe au pistou", ("brique 1 l",), 1.95),
            P("Velouté de champignons", ("brique 1 l",), 1.70),
        ),
    ),
    Family("EPSU", "Épicerie sucrée"),
    Family(
        "EPSU-BIS", "Biscuits et gâteaux", "EPSU", 15, VAT_FOOD, "lot_ddm", (180, 365),
        ("sweet",), 0.0, (12, 16), (8, 10), (5, 6),
        (
            P("Galettes pur beurre", ("125 g", "250 g"), 1.05),
            P("Palets bretons pur beurre", ("125 g",), 1.15),
            P("Sablés au beurre frais", ("200 g",), 1.30),
            P("Madeleines coquilles", ("250 g",), 1.45),
            P("Cookies aux pépites de chocolat", ("200 g",), 1.35),
            P("Gaufrettes à la vanille", ("175 g",), 0.95),
            P("Pain d'épices au miel", ("350 g",), 1.70),
            P("Financiers aux amandes", ("200 g",), 1.90),
            P("Crêpes dentelle", ("90 g",), 1.60),
            P("Quatre-quarts breton", ("350 g",), 1.85),
            P("Cake aux fruits confits", ("300 g",), 2.05),
            P("Biscuits nappés chocolat au lait", ("150 g",), 1.25),
            P("Meringues", ("100 g",), 1.15),
            P("Boudoirs", ("175 g",), 0.90),
        ),
    ),
    Family(
        "EPSU-CONF", "Confitures, miels et pâtes à tartiner", "EPSU", 10, VAT_FOOD, "lot_ddm",
        (360, 720), ("sweet",), 0.0, (6, 12), (10, 12), (5, 6),
        (
            P("Confiture extra de fraises", ("pot 370 g",), 1.75),
            P("Confiture extra d'abricots", ("pot 370 g",), 1.70),
            P("Confiture de figues", ("pot 340 g",), 2.05),
            P("Gelée de groseilles", ("pot 370 g",), 1.95),
            P("Miel de fleurs crémeux", ("pot 500 g",), 4.20),
            P("Miel d'acacia liquide", ("pot 250 g",), 4.60),
            P("Miel de lavande", ("pot 250 g",), 4.90),
            P("Pâte à tartiner noisettes et cacao", ("pot 400 g",), 2.30),
            P("Crème de marrons", ("boîte 500 g",), 2.45),
            P("Marmelade d'oranges amères", ("pot 370 g",), 1.80),
        ),
    ),
    Family(
        "EPSU-CHO", "Chocolats", "EPSU", 10, VAT_FOOD, "lot_ddm", (270, 540),
        ("sweet",), 0.0, (10, 20), (10, 12), (5, 6),
        (
            P("Chocolat noir 70 % cacao", ("tablette 100 g",), 1.20),
            P("Chocolat noir aux amandes entières", ("tablette 200 g",), 2.10),
            P("Chocolat noir pâtissier", ("tablette 200 g",), 1.75),
            P("Chocolat au lait", ("tablette 100 g",), 1.05, vat_rate=VAT_STANDARD),
            P("Chocolat au lait noisettes entières", ("tablette 200 g",), 2.05, vat_rate=VAT_STANDARD),
            P("Chocolat blanc", ("tablette 100 g",), 1.10, vat_rate=VAT_STANDARD),
            P("Cacao en poudre non sucré", ("boîte 250 g",), 2.40),
            P("Rochers pralinés au lait", ("boîte 200 g",), 3.30, vat_rate=VAT_STANDARD),
            P("Orangettes au chocolat noir", ("boîte 150 g",), 3.60, vat_rate=VAT_STANDARD),
            P("Chocolat noir 85 % cacao", ("tablette 100 g",), 1.35),
        ),
    ),
    Family(
        "EPSU-CFS", "Confiserie", "EPSU", 8, VAT_STANDARD, "lot_ddm", (270, 540),
        ("sweet",), 0.0, (12, 24), (8, 10), (5, 6),
        (
            P("Bonbons acidulés", ("sachet 250 g",), 1.40),
            P("Caramels au beurre salé", ("sachet 200 g",), 2.20),
            P("Guimauves à la vanille", ("sachet 150 g",), 1.35),
            P("Nougat de Montélimar", ("barre 100 g",), 2.30),
            P("Calissons d'Aix", ("boîte 200 g",), 5.90),
            P("Pâtes de fruits", ("boîte 250 g",), 3.10),
            P("Réglisse en bâtons", ("sachet 100 g",), 1.20),
            P("Dragées aux amandes", ("boîte 250 g",), 4.80),
        ),
    ),
    Family(
        "EPSU-PDJ", "Petit-déjeuner", "EPSU", 12, VAT_FOOD, "lot_ddm", (360, 720),
        ("sweet",), 0.0, (6, 12), (10, 12), (5, 6),
        (
            P("Café moulu pur arabica", ("250 g", "4 x 250 g"), 2.90),
            P("Café en grains torréfaction artisanale", ("1 kg",), 11.50),
            P("Capsules de café lungo", ("boîte 10 x 5,2 g",), 2.45),
            P("Thé noir Earl Grey", ("boîte 20 sachets 40 g",), 1.90),
            P("Thé vert à la menthe", ("boîte 20 sachets 40 g",), 1.95),
            P("Infusion verveine", ("boîte 25 sachets 30 g",), 1.60),
            P("Chicorée soluble", ("boîte 250 g",), 2.30),
            P("Sucre en morceaux", ("boîte 1 kg",), 1.10, tracking_mode="none"),
            P("Sucre en poudre", ("1 kg",), 0.95, tracking_mode="none"),
            P("Muesli aux fruits secs", ("500 g",), 2.10),
            P("Flocons d'avoine", ("500 g",), 0.95),
        ),
    ),
    Family("BOI", "Boissons"),
    Family(
        "BOI-EAU", "Eaux", "BOI", 6, VAT_FOOD, "lot_ddm", (365, 540),
        ("italian", "sweet"), 0.3, (6,), (12, 16), (4, 5),
        (
            P("Eau minérale naturelle", ("1,5 l", "50 cl"), 0.32),
            P("Eau de source des Pyrénées", ("1,5 l",), 0.22),
            P("Eau gazeuse naturelle", ("1 l", "50 cl"), 0.45),
            P("Eau aromatisée citron", ("1,5 l",), 0.55),
        ),
    ),
    Family(
        "BOI-JUS", "Jus et nectars", "BOI", 8, VAT_FOOD, "lot_ddm", (240, 365),
        ("sweet",), 0.0, (6, 12), (12, 14), (4, 5),
        (
            P("Pur jus d'orange sans pulpe", ("1 l",), 1.35),
            P("Pur jus de pomme trouble", ("1 l",), 1.15),
            P("Nectar d'abricot", ("1 l",), 1.10),
            P("Pur jus de raisin", ("1 l",), 1.25),
            P("Pur jus multifruits", ("1 l",), 1.30),
            P("Jus de tomate", ("1 l",), 1.20),
            P("Nectar de poire Williams", ("75 cl",), 1.45),
            P("Pur jus de pamplemousse", ("1 l",), 1.40),
        ),
    ),
    Family(
        "BOI-SOD", "Sodas et sirops", "BOI", 8, VAT_FOOD, "lot_ddm", (270, 540),
        ("italian", "sweet"), 0.2, (6, 12), (12, 14), (4, 5),
        (
            P("Limonade artisanale", ("75 cl",), 0.95),
            P("Cola", ("1,5 l", "6 x 33 cl"), 0.88),
            P("Thé glacé à la pêche", ("1,5 l",), 0.98),
            P("Sirop de menthe", ("1 l",), 1.85),
            P("Sirop de grenadine", ("1 l",), 1.80),
            P("Tonic", ("4 x 25 cl",), 1.60),
            P("Boisson gazeuse à l'orange", ("1,5 l",), 0.95),
        ),
    ),
    Family(
        "BOI-BIE", "Bières", "BOI", 8, VAT_STANDARD, "lot_ddm", (270, 365),
        ("italian",), 0.0, (4, 6), (10, 12), (4, 5),
        (
            P("Bière blonde 5 % vol.", ("6 x 25 cl", "75 cl"), 2.40),
            P("Bière blanche 4,8 % vol.", ("6 x 25 cl",), 2.60),
            P("Bière ambrée 6,5 % vol.", ("75 cl",), 2.10),
            P("Bière IPA 6 % vol.", ("4 x 33 cl",), 3.90),
            P("Bière de Noël 6,5 % vol.", ("75 cl",), 2.60),
            P("Bière sans alcool 0,0 %", ("6 x 25 cl",), 2.30, vat_rate=VAT_FOOD),
            P("Bière de garde 7 % vol.", ("75 cl",), 2.50),
        ),
    ),
    Family(
        "BOI-VIN", "Vins", "BOI", 10, VAT_STANDARD, "lot", None,
        ("savory",), 0.0, (6,), (14, 16), (4, 5),
        (
            P("Bordeaux rouge AOC", ("75 cl",), 4.20),
            P("Côtes-du-Rhône rouge AOC", ("75 cl",), 3.90),
            P("Côtes de Provence rosé AOC", ("75 cl",), 5.10),
            P("Muscadet Sèvre-et-Maine sur lie AOC", ("75 cl",), 4.40),
            P("Chablis AOC", ("75 cl",), 9.80),
            P("Gaillac blanc perlé AOC", ("75 cl",), 4.60),
            P("Madiran AOC", ("75 cl",), 6.30),
            P("Crémant de Loire brut AOC", ("75 cl",), 6.90),
            P("Jurançon moelleux AOC", ("75 cl",), 8.40),
            P("Cahors AOC Malbec", ("75 cl",), 5.70),
        ),
    ),
    Family(
        "BOI-SPI", "Spiritueux", "BOI", 5, VAT_STANDARD, "lot", None,
        ("savory",), 0.0, (6,), (14, 16), (4, 5),
        (
            P("Bas-Armagnac VSOP 40 % vol.", ("70 cl",), 21.50),
            P("Pastis 45 % vol.", ("1 l",), 12.40),
            P("Calvados Pays d'Auge AOC", ("70 cl",), 18.90),
            P("Cognac VS 40 % vol.", ("70 cl",), 19.80),
            P("Crème de cassis de Dijon", ("70 cl",), 8.60),
        ),
    ),
    Family("FRA", "Frais"),
    Family("FRA-CRE", "Crèmerie", "FRA"),
    Family(
        "FRA-CRE-YAO", "Yaourts et desserts", "FRA-CRE", 12, VAT_FOOD, "lot_dlc", (21, 35),
        ("fresh",), 0.0, (6, 12), (10, 12), (5, 6),
        (
            P("Yaourt nature au lait entier", ("4 x 125 g", "8 x 125 g"), 1.10),
            P("Yaourt aux fruits rouges", ("4 x 125 g",), 1.35),
            P("Fromage blanc 3,2 % MG", ("500 g",), 1.45),
            P("Crème dessert vanille", ("4 x 125 g",), 1.20),
            P("Riz au lait", ("4 x 100 g",), 1.55),
            P("Petits suisses nature", ("6 x 60 g",), 1.30),
            P("Faisselle", ("6 x 100 g",), 1.65),
            P("Mousse au chocolat", ("4 x 60 g",), 1.40),
            P("Yaourt au lait de brebis", ("2 x 125 g",), 1.50),
            P("Flan nappé caramel", ("4 x 100 g",), 1.15),
            P("Yaourt à la grecque", ("4 x 150 g",), 1.75),
        ),
    ),
    Family(
        "FRA-CRE-FRO", "Fromages", "FRA-CRE", 14, VAT_FOOD, "lot_dlc", (21, 45),
        ("fresh",), 0.0, (6, 8), (10, 12), (5, 6),
        (
            P("Camembert de Normandie AOP au lait cru", ("250 g",), 2.45),
            P("Comté AOP 12 mois", ("portion 200 g",), 3.10),
            P("Brie de Meaux AOP", ("portion 200 g",), 2.90),
            P("Roquefort AOP", ("portion 100 g",), 2.35),
            P("Tomme de Savoie IGP", ("portion 200 g",), 2.60),
            P("Reblochon de Savoie AOP", ("450 g",), 5.40),
            P("Emmental français râpé", ("200 g",), 1.70),
            P("Bûche de chèvre affinée", ("180 g",), 1.95),
            P("Ossau-Iraty AOP", ("portion 200 g",), 3.80),
            P("Saint-Nectaire AOP laitier", ("portion 200 g",), 3.20),
            P("Fromage à raclette en tranches", ("400 g",), 3.90),
            P("Mozzarella di bufala campana AOP", ("125 g",), 1.85),
            P("Comté AOP 18 mois à la coupe", ("au kg",), 16.50, base_unit="kg"),
            P("Tomme des Pyrénées à la coupe", ("au kg",), 11.20, base_unit="kg"),
        ),
    ),
    Family(
        "FRA-CRE-BEU", "Beurre et crème", "FRA-CRE", 6, VAT_FOOD, "lot_dlc", (30, 45),
        ("fresh",), 0.0, (10, 20), (10, 12), (5, 6),
        (
            P("Beurre doux", ("250 g",), 2.05),
            P("Beurre demi-sel", ("250 g",), 2.10),
            P("Crème fraîche épaisse", ("20 cl", "50 cl"), 1.05),
            P("Crème liquide entière 30 % MG", ("20 cl",), 0.95),
            P("Beurre AOP Charentes-Poitou", ("250 g",), 2.60),
        ),
    ),
    Family("FRA-CHA", "Charcuterie", "FRA"),
    Family(
        "FRA-CHA-JAM", "Jambons et charcuterie tranchée", "FRA-CHA", 10, VAT_FOOD, "lot_dlc",
        (21, 30), ("fresh", "italian"), 0.3, (6, 10), (10, 12), (5, 6),
        (
            P("Jambon de Paris supérieur", ("4 tranches 160 g",), 2.20),
            P("Jambon de Bayonne IGP tranché", ("6 tranches 120 g",), 3.10),
            P("Blanc de poulet rôti", ("4 tranches 120 g",), 1.90),
            P("Bacon fumé", ("10 tranches 150 g",), 1.85),
            P("Lardons fumés", ("2 x 100 g",), 1.25),
            P("Rosette de Lyon tranchée", ("120 g",), 2.05),
            P("Chorizo doux tranché", ("100 g",), 1.60),
            P("Coppa tranchée", ("80 g",), 2.40),
            P("Jambon cru de Bayonne IGP désossé", ("au kg",), 13.80, base_unit="kg"),
            P("Jambon blanc à la coupe", ("au kg",), 9.60, base_unit="kg"),
        ),
    ),
    Family(
        "FRA-CHA-SAU", "Saucissons et salaisons", "FRA-CHA", 8, VAT_FOOD, "lot_dlc", (30, 45),
        ("fresh", "italian"), 0.25, (6, 10), (10, 12), (5, 6),
        (
            P("Saucisson sec pur porc", ("250 g",), 2.70),
            P("Saucisson sec aux noisettes", ("250 g",), 3.10),
            P("Saucisse sèche droite", ("200 g",), 2.40),
            P("Fuet catalan", ("170 g",), 2.20),
            P("Rosette de Lyon", ("300 g",), 3.40),
            P("Saucisson de montagne", ("250 g",), 3.20),
            P("Chorizo fort", ("225 g",), 2.30),
            P("Saucisson au bleu d'Auvergne", ("250 g",), 3.30),
        ),
    ),
    Family(
        "FRA-CHA-PAT", "Pâtés et terrines", "FRA-CHA", 6, VAT_FOOD, "lot_dlc", (21, 30),
        ("fresh", "savory"), 0.3, (6, 8), (10, 12), (5, 6),
        (
            P("Pâté de campagne", ("terrine 250 g",), 1.75),
            P("Terrine de canard au poivre vert", ("terrine 180 g",), 2.30),
            P("Rillettes du Mans", ("pot 220 g",), 1.95),
            P("Mousse de foie", ("terrine 200 g",), 1.45),
            P("Pâté en croûte richelieu", ("4 tranches 200 g",), 2.90),
            P("Fromage de tête persillé", ("250 g",), 1.80),
        ),
    ),
    Family(
        "FRA-TRA", "Traiteur et snacking", "FRA", 4, VAT_INTERMEDIATE, "lot_dlc", (10, 10),
        ("fresh",), 0.0, (6, 8), (12, 14), (5, 6),
        (
            P("Sandwich jambon-beurre baguette", ("210 g",), 1.65),
            P("Wrap poulet curry", ("180 g",), 1.90),
            P("Club sandwich thon crudités", ("165 g",), 1.55),
            P("Salade piémontaise", ("barquette 300 g",), 1.80),
        ),
    ),
    Family("PEM", "Petit électroménager"),
    Family(
        "PEM-CUI", "Cuisson conviviale", "PEM", 10, VAT_STANDARD, "serial", None,
        ("appliance",), 0.0, (1, 2), (6, 8), (3, 4),
        (
            P("Appareil à raclette 8 personnes", ("noir", "inox"), 34.00, weight_kg=3.8),
            P("Crêpière électrique 6 mini-crêpes", ("noir",), 19.50, weight_kg=1.9),
            P("Gaufrier plaques amovibles", ("noir", "blanc"), 27.00, weight_kg=2.4),
            P("Plancha électrique 2 000 W", ("inox",), 45.00, weight_kg=4.6),
            P("Fondue électrique 8 fourchettes", ("rouge",), 24.00, weight_kg=2.1),
            P("Appareil à croque-monsieur", ("noir",), 17.50, weight_kg=1.6),
            P("Pierrade 3-en-1 pour 6 personnes", ("noir",), 39.00, weight_kg=4.2),
            P("Cuiseur à riz 1,8 l", ("blanc",), 22.00, weight_kg=2.0),
        ),
    ),
    Family(
        "PEM-PRE", "Préparation culinaire", "PEM", 10, VAT_STANDARD, "serial", None,
        ("appliance",), 0.0, (1, 2), (6, 8), (3, 4),
        (
            P("Blender chauffant 1,75 l", ("inox",), 58.00, weight_kg=4.9),
            P("Batteur électrique 5 vitesses", ("blanc", "rouge"), 16.00, weight_kg=1.1),
            P("Robot pâtissier 1 000 W", ("rouge", "gris"), 95.00, weight_kg=8.5),
            P("Mixeur plongeant avec accessoires", ("inox",), 21.00, weight_kg=1.3),
            P("Hachoir électrique", ("noir",), 18.50, weight_kg=1.4),
            P("Extracteur de jus vertical", ("noir",), 74.00, weight_kg=5.2),
            P("Balance de cuisine électronique", ("blanc",), 8.40, weight_kg=0.7),
            P("Yaourtière 7 pots", ("blanc",), 19.00, weight_kg=1.5),
        ),
    ),
    Family(
        "PEM-PDJ", "Café et petit-déjeuner", "PEM", 10, VAT_STANDARD, "serial", None,
        ("appliance",), 0.0, (2, 4), (6, 8), (3, 4),
        (
            P("Bouilloire électrique 1,7 l", ("inox", "noir"), 16.50, weight_kg=1.3),
            P("Grille-pain 2 fentes", ("inox", "rouge"), 18.00, weight_kg=1.5),
            P("Cafetière filtre programmable 12 tasses", ("noir",), 24.50, weight_kg=2.2),
            P("Machine à expresso 15 bars", ("noir",), 68.00, weight_kg=4.4),
            P("Moulin à café électrique", ("noir",), 14.50, weight_kg=0.9),
            P("Mousseur à lait", ("inox",), 23.00, weight_kg=0.8),
            P("Grille-pain 4 fentes", ("inox",), 29.00, weight_kg=2.3),
            P("Théière électrique 1,2 l", ("blanc",), 27.00, weight_kg=1.4),
        ),
    ),
    Family("BAZ", "Bazar et arts de la table"),
    Family(
        "BAZ-JET", "Vaisselle jetable", "BAZ", 12, VAT_STANDARD, "none", None,
        ("appliance", "savory"), 0.1, (10, 20), (8, 10), (5, 6),
        brands=("Nappéa", "Clairéa"), products=(
            P("Assiettes en carton Ø 23 cm", ("lot de 50", "lot de 20"), 2.10, weight_kg=0.6),
            P("Gobelets en carton 20 cl", ("lot de 50",), 1.60, weight_kg=0.3),
            P("Serviettes en papier 2 plis", ("lot de 100", "lot de 50"), 1.35, weight_kg=0.4),
            P("Nappe en papier damassé", ("rouleau 6 m",), 3.20, weight_kg=0.9),
            P("Couverts en bois", ("lot de 48",), 2.40, weight_kg=0.3),
            P("Pailles en papier", ("lot de 100",), 1.45, weight_kg=0.2),
            P("Bougies d'anniversaire", ("lot de 24",), 0.95, weight_kg=0.05),
            P("Verres à pied jetables 15 cl", ("lot de 10",), 2.30, weight_kg=0.4),
            P("Bols en carton 50 cl", ("lot de 25",), 1.90, weight_kg=0.35),
            P("Sets de table en papier", ("lot de 100",), 2.60, weight_kg=0.8),
        ),
    ),
    Family(
        "BAZ-ENT", "Entretien", "BAZ", 8, VAT_STANDARD, "none", None,
        ("appliance",), 0.0, (12, 24), (8, 10), (5, 6),
        brands=("Clairéa",), products=(
            P("Liquide vaisselle au citron", ("flacon 500 ml", "flacon 1 l"), 0.95),
            P("Éponges grattantes", ("lot de 3",), 0.85, weight_kg=0.05),
            P("Sacs poubelle 30 l à liens", ("rouleau de 20",), 1.40, weight_kg=0.3),
            P("Film étirable alimentaire 30 m", ("rouleau",), 1.10, weight_kg=0.25),
            P("Papier aluminium 20 m", ("rouleau",), 1.55, weight_kg=0.4),
            P("Essuie-tout", ("lot de 2 rouleaux",), 1.30, weight_kg=0.3),
            P("Sacs congélation 3 l", ("boîte de 25",), 1.20, weight_kg=0.15),
        ),
    ),
    Family("COF", "Coffrets et colis"),
    Family("COF-GOU", "Coffrets gourmands", "COF"),
    Family("COF-PRO", "Packs promotionnels", "COF"),
)


@dataclass(frozen=True)
class KitSpec:
    name: str
    family: str
    kit_kind: str  # "components" or "assembled"
    components: tuple[tuple[str, str, int], ...]  # (family code, keyword in designation, quantity)
    shelf_life_days: int | None = None  # assembled kits stocked with a DDM


KITS: tuple[KitSpec, ...] = (
    KitSpec("Coffret apéritif provençal", "COF-GOU", "components",
            (("EPS-APE", "Tapenade", 1), ("EPS-APE", "Olives vertes", 2), ("EPS-APE", "Chips nature", 1),
             ("BOI-VIN", "Provence", 1))),
    KitSpec("Colis de Noël gourmand", "COF-GOU", "assembled",
            (("EPS-PLC", "Confit de canard 4 cuisses", 1), ("EPSU-CFS", "Nougat", 1),
             ("EPSU-CHO", "noir 70", 2),
             ("BOI-VIN", "Jurançon", 1), ("EPSU-BIS", "Pain d'épices", 1)),
            shelf_life_days=180),
    KitSpec("Coffret petit-déjeuner breton", "COF-GOU", "components",
            (("EPSU-PDJ", "Café moulu", 1), ("EPSU-CONF", "fraises", 1), ("EPSU-CONF", "Miel de fleurs", 1),
             ("EPSU-BIS", "Galettes", 2))),
    KitSpec("Pack raclette conviviale", "COF-PRO", "components",
            (("PEM-CUI", "raclette", 1), ("FRA-CRE-FRO", "raclette", 2), ("FRA-CHA-JAM", "Bayonne", 2))),
    KitSpec("Panier du terroir gascon", "COF-GOU", "assembled",
            (("EPS-PLC", "Cassoulet", 1), ("EPS-PLC", "Gésiers", 1), ("BOI-VIN", "Madiran", 1)),
            shelf_life_days=365),
)

_WEIGHT = re.compile(r"(?:(\d+)\s*x\s*)?(\d+(?:,\d+)?)\s*(kg|g|ml|cl|l)\b")
_UNIT_KG = {"kg": Decimal(1), "g": Decimal("0.001"), "l": Decimal(1), "cl": Decimal("0.01"),
            "ml": Decimal("0.001")}


def format_net_weight_kg(label: str) -> Decimal | None:
    """Net weight (kg; a litre counts as a kilogram) read from a format like "4 x 125 g"."""
    match = _WEIGHT.search(label)
    if match is None:
        return None
    count = int(match.group(1) or 1)
    value = Decimal(match.group(2).replace(",", "."))
    return (count * value * _UNIT_KG[match.group(3)]).quantize(Decimal("0.001"))
