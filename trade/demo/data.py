"""Name lists for the demo: regions with real French cities, people, banners, suppliers.

Every company, banner and brand here is invented. Cities, postal codes and phone
area prefixes are real so that addresses look right on screen and on documents.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    postal_code: str
    name: str


@dataclass(frozen=True)
class Region:
    code: str
    label: str
    phone_prefix: str
    hub_line: str
    hub: City
    cities: tuple[City, ...]


def _cities(*pairs: tuple[str, str]) -> tuple[City, ...]:
    return tuple(City(postal_code, name) for postal_code, name in pairs)


REGIONS: tuple[Region, ...] = (
    Region("SO", "Sud-Ouest", "05", "Zone logistique Eurocentre, 4 rue du Fret",
           City("31620", "Castelnau-d'Estrétefonds"),
           _cities(("31000", "Toulouse"), ("31500", "Toulouse"), ("31700", "Blagnac"),
                   ("31770", "Colomiers"), ("31600", "Muret"), ("82000", "Montauban"),
                   ("81000", "Albi"), ("81100", "Castres"), ("32000", "Auch"), ("47000", "Agen"),
                   ("65000", "Tarbes"), ("64000", "Pau"), ("64100", "Bayonne"),
                   ("40000", "Mont-de-Marsan"), ("33000", "Bordeaux"), ("33700", "Mérignac"),
                   ("24000", "Périgueux"), ("46000", "Cahors"), ("12000", "Rodez"))),
    Region("RA", "Rhône-Alpes", "04", "ZAC de Chesnes Nord, 12 rue du Rhône",
           City("38070", "Saint-Quentin-Fallavier"),
           _cities(("69003", "Lyon"), ("69007", "Lyon"), ("69100", "Villeurbanne"),
                   ("69200", "Vénissieux"), ("69500", "Bron"), ("69400", "Villefranche-sur-Saône"),
                   ("38000", "Grenoble"), ("38130", "Échirolles"), ("38200", "Vienne"),
                   ("38300", "Bourgoin-Jallieu"), ("42000", "Saint-Étienne"), ("42300", "Roanne"),
                   ("74000", "Annecy"), ("73000", "Chambéry"), ("73100", "Aix-les-Bains"),
                   ("26000", "Valence"), ("01000", "Bourg-en-Bresse"))),
    Region("IDF", "Île-de-France", "01", "ZI de la Vigne aux Loups, 7 rue Denis Papin",
           City("91380", "Chilly-Mazarin"),
           _cities(("75011", "Paris"), ("75015", "Paris"), ("75018", "Paris"), ("75020", "Paris"),
                   ("92100", "Boulogne-Billancourt"), ("92000", "Nanterre"), ("92400", "Courbevoie"),
                   ("93100", "Montreuil"), ("93200", "Saint-Denis"), ("94300", "Vincennes"),
                   ("94000", "Créteil"), ("78000", "Versailles"), ("95100", "Argenteuil"),
                   ("91000", "Évry-Courcouronnes"), ("77100", "Meaux"), ("92500", "Rueil-Malmaison"))),
    Region("GO", "Grand Ouest", "02", "Parc d'activités de la Belle Étoile, 3 rue Gutenberg",
           City("44470", "Carquefou"),
           _cities(("44000", "Nantes"), ("44600", "Saint-Nazaire"), ("44400", "Rezé"),
                   ("49000", "Angers"), ("49300", "Cholet"), ("35000", "Rennes"),
                   ("35400", "Saint-Malo"), ("56000", "Vannes"), ("56100", "Lorient"),
                   ("29000", "Quimper"), ("29200", "Brest"), ("85000", "La Roche-sur-Yon"),
                   ("72000", "Le Mans"), ("53000", "Laval"), ("37000", "Tours"))),
    Region("NO", "Nord", "03", "Zone industrielle de Lesquin, 21 rue de l'Épinoy",
           City("59810", "Lesquin"),
           _cities(("59000", "Lille"), ("59100", "Roubaix"), ("59200", "Tourcoing"),
                   ("59650", "Villeneuve-d'Ascq"), ("59140", "Dunkerque"), ("59300", "Valenciennes"),
                   ("59500", "Douai"), ("62000", "Arras"), ("62300", "Lens"), ("62100", "Calais"),
                   ("62200", "Boulogne-sur-Mer"), ("80000", "Amiens"), ("02100", "Saint-Quentin"),
                   ("60000", "Beauvais"))),
    Region("PR", "Provence", "04", "Zone industrielle des Estroublans, 9 avenue de Rome",
           City("13127", "Vitrolles"),
           _cities(("13001", "Marseille"), ("13008", "Marseille"), ("13100", "Aix-en-Provence"),
                   ("13400", "Aubagne"), ("13500", "Martigues"), ("13300", "Salon-de-Provence"),
                   ("83000", "Toulon"), ("83400", "Hyères"), ("84000", "Avignon"), ("13200", "Arles"),
                   ("83600", "Fréjus"), ("06000", "Nice"), ("06400", "Cannes"), ("06600", "Antibes"))),
    Region("GE", "Grand Est", "03", "Zone d'activités du Ried, 5 rue de l'Industrie",
           City("67720", "Hoerdt"),
           _cities(("67000", "Strasbourg"), ("67400", "Illkirch-Graffenstaden"), ("67500", "Haguenau"),
                   ("68000", "Colmar"), ("68100", "Mulhouse"), ("57000", "Metz"), ("57100", "Thionville"),
                   ("54000", "Nancy"), ("88000", "Épinal"), ("51100", "Reims"), ("10000", "Troyes"),
                   ("51000", "Châlons-en-Champagne"))),
    Region("CE", "Centre", "02", "Pôle 45, 14 rue des Frères Lumière", City("45770", "Saran"),
           _cities(("45000", "Orléans"), ("41000", "Blois"), ("28000", "Chartres"), ("18000", "Bourges"),
                   ("36000", "Châteauroux"), ("45200", "Montargis"), ("18100", "Vierzon"),
                   ("28100", "Dreux"))),
    Region("LR", "Languedoc", "04", "Parc d'activités Garosud, 30 rue de la Castelle",
           City("34070", "Montpellier"),
           _cities(("34000", "Montpellier"), ("34500", "Béziers"), ("34200", "Sète"),
                   ("11100", "Narbonne"), ("11000", "Carcassonne"), ("66000", "Perpignan"),
                   ("34400", "Lunel"), ("30100", "Alès"), ("30000", "Nîmes"))),
    Region("BO", "Bourgogne-Franche-Comté", "03", "Parc d'activités de Beauregard, 2 rue Lavoisier",
           City("21600", "Longvic"),
           _cities(("21000", "Dijon"), ("21200", "Beaune"), ("25000", "Besançon"),
                   ("71100", "Chalon-sur-Saône"), ("71000", "Mâcon"), ("89000", "Auxerre"),
                   ("90000", "Belfort"), ("25200", "Montbéliard"), ("39100", "Dole"))),
)

STREETS: tuple[str, ...] = (
    "avenue Jean Jaurès", "rue de la République", "boulevard Gambetta", "rue Victor Hugo",
    "avenue du Général de Gaulle", "rue Pasteur", "place du Marché", "rue Nationale",
    "avenue de la Libération", "rue du Commerce", "boulevard de Strasbourg", "rue Jean Moulin",
    "avenue Foch", "rue des Écoles", "route de Paris", "rue Émile Zola", "rue Carnot",
    "cours Lafayette", "rue Saint-Martin", "avenue de Verdun", "rue des Tanneurs",
    "boulevard Voltaire", "rue du Maréchal Leclerc", "avenue des Acacias",
)

SHOPPING_AREAS: tuple[str, ...] = (
    "Centre commercial des Portes", "Zone commerciale du Moulin", "Galerie marchande Les Arcades",
    "Zone d'activités Les Prés", "Espace commercial de la Gare",
)

STORE_QUALIFIERS: tuple[str, ...] = (
    "Centre", "Gare", "Nord", "Sud", "Les Halles", "Saint-Michel", "République", "Le Port",
    "Les Chartreux", "Bellevue", "Les Capucins", "Jean Jaurès",
)

FIRST_NAMES: tuple[str, ...] = (
    "Claire", "Julien", "Sophie", "Thomas", "Camille", "Nicolas", "Émilie", "Antoine", "Marie",
    "Pierre", "Isabelle", "Laurent", "Nathalie", "Sébastien", "Céline", "Mathieu", "Aurélie",
    "Olivier", "Sandrine", "Guillaume", "Élodie", "François", "Hélène", "Vincent", "Caroline",
    "Romain", "Julie", "Stéphane", "Anne", "Benoît", "Léa", "Hugo", "Chloé", "Lucas", "Manon",
    "Maxime", "Pauline", "Alexandre", "Laura", "Jérôme",
)

LAST_NAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller",
    "Henry", "Roussel", "Perrin", "Morin", "Clément", "Gauthier", "Dumont", "Fontaine", "Chevalier",
    "Robin", "Lacoste", "Etcheverry", "Castaing", "Peyrot",
)

# Invented banners. "Integrated" chains own their stores and run two platforms with a
# regional buying group; "franchise" chains have independent stores, one platform and
# stores delivered directly.
INTEGRATED_BANNERS: tuple[tuple[str, str], ...] = (
    ("MDH", "Marché des Halles"), ("GPN", "Grand Panier"), ("HCO", "Hyper Cocagne"),
    ("CDM", "Comptoirs du Marché"), ("BRC", "Belle Récolte"), ("ABM", "L'Abeille Marchande"),
    ("VTR", "Vent du Terroir"), ("MXF", "Maxi Fraîcheur"), ("GRE", "Grande Réserve"),
    ("CLS", "Clos des Saveurs"),
)
FRANCHISE_BANNERS: tuple[tuple[str, str], ...] = (
    ("PXS", "Proxi Saveurs"), ("EDC", "L'Épicerie du Coin"), ("PMM", "Petit Marché Malin"),
    ("CTQ", "Côté Quartier"), ("PDV", "Le Panier du Village"), ("FRQ", "Fraîch'Quartier"),
    ("BOT", "Bon Temps Proxi"), ("ECH", "L'Échoppe"), ("MIN", "Minute Market"),
    ("CAB", "Le Cabas Voisin"),
)
# Appended to a banner or supplier name when the pool is exhausted at high scales.
CYCLE_SUFFIXES: tuple[str, ...] = (
    "Atlantique", "Méditerranée", "Alpes", "Flandres", "Provence", "Bretagne", "Lorraine",
    "Aquitaine", "Normandie", "Bourgogne", "Auvergne", "Champagne",
)


@dataclass(frozen=True)
class SupplierSeed:
    name: str
    line1: str
    postal_code: str
    city: str


@dataclass(frozen=True)
class SupplierKind:
    """A kind of supplier: which families it sells and how it writes references."""

    key: str
    country: str  # ISO 3166 alpha-2
    phone_prefix: str
    reference_format: str  # str.format with {n}
    lead_time_days: tuple[int, int]
    minimum_order: tuple[int, int]
    payment_terms_code: str
    gs1_prefix: str  # 3 digits of the GS1 member organisation (376 France, 803 Italy, 401 Germany)
    brands: tuple[str, ...]
    pool: tuple[SupplierSeed, ...]


SUPPLIER_KINDS: tuple[SupplierKind, ...] = (
    SupplierKind(
        "savory", "FR", "05 58", "ML{n:05d}", (3, 5), (600, 1200), "45FDM", "376",
        ("Maison Lafitte", "Saveurs de Gascogne", "Terres d'Adour"),
        (
            SupplierSeed("Maison Lafitte SAS", "Route de Mont-de-Marsan", "40800", "Aire-sur-l'Adour"),
            SupplierSeed("Conserverie du Marsan", "12 chemin de Lacaze", "40280", "Saint-Pierre-du-Mont"),
            SupplierSeed("Maison Darrigade", "ZA de Peyres", "32300", "Mirande"),
            SupplierSeed("Conserves Capdeville", "4 rue des Artisans", "64300", "Orthez"),
            SupplierSeed("Maison Peyrelongue", "Lieu-dit Bordeneuve", "32110", "Nogaro"),
        ),
    ),
    SupplierKind(
        "sweet", "FR", "02 98", "DM-{n:04d}", (4, 7), (800, 1500), "60NET", "376",
        ("Les Deux Moulins", "Douceurs d'Armor", "Rucher des Causses", "Cacaoterie Delmas"),
        (
            SupplierSeed("Biscuiterie des Deux Moulins", "12 rue des Moulins", "29100", "Douarnenez"),
            SupplierSeed("Confiturerie de l'Aven", "Zone de Kerampaou", "29930", "Pont-Aven"),
            SupplierSeed("Douceurs de Cornouaille", "5 rue du Stang", "29000", "Quimper"),
            SupplierSeed("Biscuiterie Le Gall", "ZA de Kervoyal", "56750", "Damgan"),
            SupplierSeed("Maison Kerbrat", "8 allée des Sablières", "22000", "Saint-Brieuc"),
        ),
    ),
    SupplierKind(
        "fresh", "FR", "03 84", "VC{n:05d}", (1, 2), (400, 900), "30NET", "376",
        ("Val Comtois", "Fromagerie des Aravis", "Salaisons Delpech", "Le Traiteur du Marché"),
        (
            SupplierSeed("Coopérative laitière du Val Comtois", "2 route de Salins", "39600", "Arbois"),
            SupplierSeed("Fromagerie des Aravis", "Route du Col", "74450", "Le Grand-Bornand"),
            SupplierSeed("Salaisons Delpech", "ZA du Causse", "12850", "Onet-le-Château"),
            SupplierSeed("Laiterie Sainte-Colombe", "1 rue de la Fruitière", "25300", "Pontarlier"),
            SupplierSeed("Charcuterie Bourdieu", "6 avenue de la Gare", "15000", "Aurillac"),
        ),
    ),
    SupplierKind(
        "italian", "IT", "+39 0521", "RIN/{n:05d}", (8, 12), (2000, 3000), "60NET", "803",
        ("Rinaldi", "Casa Vesuvio"),
        (
            SupplierSeed("Fratelli Rinaldi S.p.A.", "Via Emilia Ovest 128", "43126", "Parma"),
            SupplierSeed("Pastificio Moretti S.r.l.", "Via dei Mulini 14", "65015", "Montesilvano"),
            SupplierSeed("Oleificio Santangelo S.p.A.", "Contrada San Vito 3", "70032", "Bitonto"),
            SupplierSeed("Salumificio Bellandi S.r.l.", "Via Langhirano 77", "43013", "Langhirano"),
        ),
    ),
    SupplierKind(
        "appliance", "DE", "+49 711", "BR-{n:04d}", (12, 18), (2500, 4000), "45FDM", "401",
        ("Brenner", "Kochwerk", "Cuisinor"),
        (
            SupplierSeed("Brenner Haushaltsgeräte GmbH", "Industriestraße 14", "70565", "Stuttgart"),
            SupplierSeed("Kochwerk Elektro GmbH", "Hafenstraße 3", "68159", "Mannheim"),
            SupplierSeed("Heizmann Küchentechnik GmbH", "Gewerbepark 22", "79108", "Freiburg im Breisgau"),
        ),
    ),
)

SUPPLIER_CONTACT_ROLES: tuple[str, ...] = ("Responsable grands comptes", "Administration des ventes")
STORE_CONTACT_ROLES: tuple[str, ...] = ("Directeur de magasin", "Chef de rayon frais")

# Our company: a plausible Toulouse wholesaler (invented).
COMPANY = {
    "legal_name": "Comptoir Occitan de Distribution",
    "legal_form": "SAS",
    "share_capital": "350000.00",
    "rcs_city": "Toulouse",
    "naf_code": "4639B",
    "line1": "8 rue des Négociants",
    "line2": "ZI de Montaudran",
    "postal_code": "31400",
    "city": "Toulouse",
    "country": "FR",
    "phone": "05 61 20 48 00",
    "email": "contact@comptoir-occitan.example",
    "website": "https://www.comptoir-occitan.example",
    "bank_name": "Banque Populaire Occitane",
    "bic": "CCBPFRPPTLS",
}
# French RIB of the company: bank code, branch code, account number (the key is computed).
COMPANY_RIB = ("17807", "00412", "31245678901")
COMPANY_SIREN_BODY = "81247365"
COMPANY_GLN_BODY = "301987600000"  # our company prefix 3019876, location 00000
