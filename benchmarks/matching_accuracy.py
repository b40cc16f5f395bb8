"""Accuracy and speed of the cash-application matcher on generated payments.

This is a benchmark script, not a unit test (``tests/test_matching_accuracy.py``
runs a small instance of it).  It needs neither Odoo nor a database: the engine
modules are imported by path from ``addons/otc_order_to_cash/engine``, like
``tests/conftest.py`` does.  ``build_dataset`` returns the same data as plain
engine objects, for other benchmarks (``benchmarks/bench_cash.py`` builds it
inside Odoo) and ``evaluate`` scores their decisions the same way.

Data set (seeded, hence deterministic):

* customers named after a family (55 %: ``Hans Müller Bau GmbH``, surnames
  of several countries, an optional given name, activity, place), a brand
  (30 %: ``Novatec Logistik GmbH``) or a region (15 %: ``Transports Lyon
  SARL``), mostly with a legal form, so that many names share words and
  28 % of the customers share their name with another (``Martin SARL``,
  ``Martin SA``); one or two IBANs each, 60 % of them known to the
  matcher, and a few learned payer names;
* ``--items`` open items (``INV/2025/00001``..., dense numbering) spread over
  the customers with a capped heavy tail (the largest customers hold 500 to
  600 of 100,000 items), log-normal amounts, 8 % in USD, 15 % with a 2 %
  early-payment discount, payment reference = number (70 %), an RF creditor
  reference (20 %) or Odoo's per-customer reference (10 %), half with an
  origin order;
* ``--lines`` statement lines, each generated from a case with a known truth:
  exact references, references with typos or missing separators, no
  reference, several invoices listed or not, partial payments, bank fees,
  early-payment discounts, foreign currency, overpayments, RF references and
  lines that pay none of the items.  Payer names vary like real ones
  (upper case, accents dropped or transliterated, legal form dropped, first
  word moved to the end, one typo, cut to 27 characters, an accounts payable
  department, a third party, empty).

Realism choices (each one removes lines nobody could attribute, or data no
ledger has; none of the issue's cases is dropped):

* names: drawn from ~150 surnames alone, 81 % of 12,000 customers shared
  their name with others (106 were called "De", the surname lists being cut
  at spaces); family, brand and regional names leave 72 % unique, which
  still makes namesakes a common difficulty;
* owners: uncapped, one Pareto draw could hand a single customer 77 % of the
  ledger (20,000 items, seed 11); weights are capped;
* third parties (a parent company, a factor: 5 % of the lines that quote a
  reference) pay from their own account, not the customer's; lines without
  any reference come from the customer itself and carry its name: a third
  party quoting nothing, or a line without name, known account or
  reference, cannot be attributed by anyone;
* a partial payment that names no invoice (no reference, or only the
  customer's reference) is an instalment on the customer's oldest open
  invoice (among those no earlier line of the statement paid), as
  customers and their accountants apply unnamed money; a random invoice
  paid in part without naming it has no knowable truth;
* an overpayment names its invoice (a double payment, gross instead of
  net); an excess naming only the customer is a payment on account;
* bank fees are tariffs (80 %: 0.35, 0.50, 1.00, 1.50, 2.00, 2.50, 3.00,
  4.00 or 5.00) or any amount up to 5.00 (20 %: percentage charges,
  conversion differences), rather than uniformly random cents.

The statement is processed in order, like the reconciliation does: a line
reconciled automatically consumes its items (``Matcher.apply``), so that
later lines do not see them as open.

A line counts as right when the best proposal names the truth's items with
the truth's amounts (in the currency the proposal states).  Printed per case
and overall: precision of the automatic decisions (a decision on a line that
pays nothing is wrong), share of paying lines auto-matched, share of the
other paying lines whose truth is among the top-3 suggestions, lines/second
(matching and consuming; the index build is timed apart).

Usage::

    python3 benchmarks/matching_accuracy.py [--lines 10000] [--items 100000] [--seed 7]
        [--targeted 200]

``--targeted N`` adds N lines of each targeted case (``Generator.TARGETED``:
two swapped digits with the customer named in the label, in the payer field
or nowhere, a swapped number that is another open invoice, a receipt naming
some of the invoices it pays) after the main mix, scored apart; they come
from their own random stream, so the main mix is the same with or without.
"""

import argparse
import datetime
import importlib
import random
import sys
import time
import types
from pathlib import Path

ENGINE_DIR = (
    Path(__file__).resolve().parent.parent / "addons" / "otc_order_to_cash" / "engine"
)
TODAY = datetime.date(2026, 6, 30)
USD_RATE = 1.08  # USD per company currency unit, booking rate
USD_RATE_TODAY = 1.11


def load_engine(module_name):
    """Import an engine module by path, as a member of a synthetic package."""
    name = "_otc_engine_bench"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(ENGINE_DIR)]
        sys.modules[name] = package
    return importlib.import_module(f"{name}.{module_name}")


# comma-separated: several surnames have more than one word ("De Luca")
SURNAMES = {
    "de": "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, "
    "Hoffmann, Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, "
    "Schwarz, Zimmermann, Braun, Krüger, Hofmann, Hartmann, Lange, Schmitt, Werner, "
    "Krause, Meier, Lehmann, Köhler, Jäger",
    "fr": "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, "
    "Moreau, Simon, Laurent, Lefèvre, Michel, Garçon, Fournier, Girard, Bonnet, "
    "Dupont, Lambert, Fontaine, Rousseau, Vincent, Muller, Lefebvre, Faure, André, "
    "Mercier, Blanc, Guérin, Boyer, Chevalier",
    "it": "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, "
    "Greco, Bruno, Gallo, Conti, De Luca, Mancini, Costa, Giordano, Rizzo, "
    "Lombardi, Moretti, Barbieri, Fontana",
    "es": "García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, "
    "Gómez, Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Muñoz, Álvarez, Romero, "
    "Alonso, Gutiérrez",
    "nl": "De Jong, Jansen, De Vries, Van den Berg, Van Dijk, Bakker, Janssen, Visser, "
    "Smit, Meijer, De Boer, Mulder, De Groot, Bos, Vos, Peters, Hendriks, "
    "Van Leeuwen, Dekker",
    "en": "Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Robinson, "
    "Wright, Thompson, Evans, Walker, White, Roberts, Green, Hall, Wood, Jackson, "
    "Clarke, Harris, Baker",
}
GIVEN = {
    "de": "Hans Peter Klaus Jürgen Stefan Thomas Andreas Michael Uwe Frank Sabine "
    "Petra Monika Karin",
    "fr": "Jean Pierre Michel Philippe Alain Nicolas Christophe Marie Nathalie "
    "Isabelle Sylvie Catherine",
    "it": "Giuseppe Giovanni Antonio Mario Luigi Francesco Paolo Marco Maria Anna "
    "Giulia Francesca",
    "es": "José Antonio Manuel Francisco Juan David Javier Carlos María Carmen Ana "
    "Isabel Lucía",
    "nl": "Jan Johannes Pieter Cornelis Willem Hendrik Maria Anna Johanna Sanne Femke",
    "en": "John David Michael Paul Andrew Mark James Peter Sarah Emma Claire Helen",
}
PLACES = {
    "de": "Hamburg Bremen Köln Essen Kassel Ulm Mainz Trier Passau Bamberg Lübeck Kiel "
    "Rostock Erfurt Jena Fulda Siegen Hagen Allgäu Taunus Eifel Harz Nordheide",
    "fr": "Lyon Nantes Rennes Lille Reims Tours Dijon Angers Nîmes Brest Limoges "
    "Annecy Vendée Provence Alsace Bretagne Anjou Jura Savoie Béarn",
    "it": "Milano Torino Verona Padova Bergamo Brescia Parma Modena Bologna Firenze "
    "Pisa Lucca Genova Bari Lecce Salerno Veneto Friuli Brianza",
    "es": "Madrid Sevilla Valencia Bilbao Málaga Murcia Zaragoza Vigo Gijón Burgos "
    "León Cádiz Navarra Rioja Galicia Levante Mancha",
    "nl": "Utrecht Leiden Delft Haarlem Zwolle Breda Tilburg Venlo Arnhem Nijmegen "
    "Groningen Assen Twente Veluwe Brabant Zeeland",
    "en": "Leeds York Bristol Oxford Reading Derby Exeter Bath Luton Norwich Dundee "
    "Cardiff Kent Essex Surrey Midlands Pennine Cotswold Wessex",
}
# brand names are built from a head and a tail ("Novatec", "Eurolux")
BRAND_HEADS = (
    "Nova Euro Alpha Omni Tecno Inter Astra Vita Agri Nord Sud Ost West Medi Terra "
    "Aqua Helio Quadra Prima Multi Poly Trans Bio Eco Flex Metal Techno Cargo Agro "
    "Bau Stahl Holz Digi Logi Sano Vero Luma Orba Zentra Velo Bel Sol Mont Val"
).split()
BRAND_TAILS = (
    "tec lux via mar plan tex form line point star com net med pro trans log bau "
    "dis flex gas mat tron nova sol vit fer print pack tech data sys werk"
).split()
ACTIVITIES = {
    "de": "Bau Logistik Maschinenbau Elektro Holz Metallbau Handel Technik Transporte",
    "fr": "Transports Bâtiment Distribution Services Électricité Menuiserie Négoce",
    "it": "Trasporti Costruzioni Impianti Meccanica Alimentari Commerciale Servizi",
    "es": "Construcciones Transportes Distribuciones Ingeniería Servicios Alimentación",
    "nl": "Bouw Transport Techniek Handel Installatie Groothandel Logistiek",
    "en": "Trading Logistics Engineering Supplies Construction Foods Textiles Services",
}
LEGAL = {
    "de": ["GmbH", "AG", "GmbH & Co. KG", "e.K.", "KG"],
    "fr": ["SARL", "SA", "SAS", "S.A.R.L.", "EURL"],
    "it": ["S.p.A.", "S.r.l.", "SRL", "SpA", "S.n.c."],
    "es": ["S.L.", "S.A.", "SL", "SLU"],
    "nl": ["B.V.", "BV", "N.V.", "VOF"],
    "en": ["Ltd", "Limited", "Inc.", "LLC", "PLC", "& Sons Ltd", "Corp."],
}
TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS"}
)
ACCENTS = str.maketrans("éèêëàâçîïôûùíóúñáÉÈÀÇÍÓÚÑÁ", "eeeeaaciiouuiounaEEACIOUNA")
NOISE_LABELS = [
    "Payment",
    "Zahlung",
    "Virement",
    "Pagamento",
    "Thank you",
    "SEPA CREDIT TRANSFER",
    "",
    "Rechnung",
    "Facture",
]
NOTHING_LABELS = [
    "Interest Q2",
    "Refund supplier 4711",
    "Transfer from savings",
    "Tax refund 2025",
    "Insurance claim 88231",
    "Rent deposit return",
    "Cash deposit",
    "Salary correction",
]


class World:
    """Generated customers, items and known payer facts."""

    def __init__(self, m, refs, n_items, rng):
        self.m = m
        self.rng = rng
        n_customers = max(20, n_items // 8)
        self.customers = []  # (id, name, country, ibans)
        for cid in range(1, n_customers + 1):
            country = rng.choice(list(SURNAMES))
            name = self._company_name(country)
            ibans = [self._iban(cid, k) for k in range(1 + (rng.random() < 0.2))]
            self.customers.append((cid, name, country, ibans))
        # Pareto weights, capped: uncapped, one draw of this infinite-variance
        # law can hand a single customer most of the ledger (77 % of the
        # items with 20,000 items, seed 11), which no real ledger looks like
        weights = [min(250.0, rng.paretovariate(1.3)) for _c in self.customers]
        owners = rng.choices(range(n_customers), weights=weights, k=n_items)
        self.items = []
        self.by_customer = {}
        for k in range(n_items):
            cust = self.customers[owners[k]]
            year = 2025 if k < n_items // 2 else 2026
            seq = k + 1 if year == 2025 else k + 1 - n_items // 2
            number = "INV/%d/%05d" % (year, seq)
            inv_date = datetime.date(2026, 6, 1) - datetime.timedelta(
                days=int((n_items - k) / n_items * 400)
            )
            residual = round(min(60000.0, rng.lognormvariate(6.3, 1.1)) + 5, 2)
            currency, residual_currency = "", None
            if rng.random() < 0.08:
                currency = "USD"
                residual_currency = residual
                residual = round(residual / USD_RATE, 2)
            discount = discount_date = discount_currency = None
            if rng.random() < 0.15:
                discount_date = TODAY + datetime.timedelta(days=rng.randint(-5, 20))
                discount = round(residual * 0.02, 2)
                if currency:
                    discount_currency = round(residual_currency * 0.02, 2)
            roll = rng.random()
            rf = ""
            if roll < 0.7:
                payment_ref = number
            elif roll < 0.9:
                rf = refs.rf_encode("%d%07d" % (cust[0], k + 1))
                payment_ref = rf
            else:
                payment_ref = "CUST/%d" % cust[0]
            item = m.OpenItem(
                id=k + 1,
                customer_id=cust[0],
                customer_name=cust[1],
                residual=residual,
                number=number,
                payment_ref=payment_ref,
                rf_ref=rf,
                order_ref="S%05d" % (k + 1) if rng.random() < 0.5 else "",
                currency=currency,
                residual_currency=residual_currency,
                due_date=inv_date + datetime.timedelta(days=30),
                discount=discount or 0.0,
                discount_currency=discount_currency,
                discount_date=discount_date,
            )
            self.items.append(item)
            self.by_customer.setdefault(cust[0], []).append(item)
        self.cust_by_id = {c[0]: c for c in self.customers}
        self.by_number = {it.number: it for it in self.items}
        accounts = {}
        for cid, _name, _country, ibans in self.customers:
            for iban in ibans:
                if rng.random() < 0.6:
                    accounts[iban] = cid
        learned = {}
        for cid, _name, _country, _ibans in rng.sample(
            self.customers, n_customers // 50
        ):
            learned["ACCOUNTS PAYABLE DEPT %d" % cid] = cid
        self.learned = learned
        self.known = m.KnownPayers(accounts=accounts, names=learned)

    def _company_name(self, country):
        """A company name: family, brand or place name, activity, legal form."""
        rng = self.rng
        surnames = SURNAMES[country].split(", ")
        activity = rng.choice(ACTIVITIES[country].split())
        place = rng.choice(PLACES[country].split())
        roll = rng.random()
        if roll < 0.55:  # family business: "Hans Müller Bau GmbH"
            parts = rng.sample(surnames, 2 if rng.random() < 0.25 else 1)
            if rng.random() < 0.35:
                parts.insert(0, rng.choice(GIVEN[country].split()))
            if rng.random() < 0.6:
                parts.append(activity)
            if rng.random() < 0.25:
                parts.append(place)
        elif roll < 0.85:  # brand: "Novatec Logistik GmbH"
            parts = [rng.choice(BRAND_HEADS) + rng.choice(BRAND_TAILS)]
            if rng.random() < 0.7:
                parts.append(activity)
            if rng.random() < 0.2:
                parts.append(place)
        else:  # regional: "Bremen Logistik GmbH", "Transports Lyon SARL"
            parts = [place, activity]
            if rng.random() < 0.5:
                parts.reverse()
            if rng.random() < 0.5:
                parts.insert(1, rng.choice(surnames))
        if rng.random() < 0.9:
            parts.append(rng.choice(LEGAL[country]))
        return " ".join(parts)

    def _iban(self, cid, k):
        return "DE%02d%018d" % ((cid * 7 + k) % 97, cid * 1000 + k)


ALL_LEGAL = sorted({f for forms in LEGAL.values() for f in forms}, key=len)[::-1]


def payer_name(rng, name):
    """How a bank might hand over the name of ``name``'s company.

    Legal form dropped (30 %), upper case, accents dropped or transliterated,
    first word moved to the end, one typo, and cut to 27 characters (15 %,
    the width of a name line in MT940 ``:86:`` ``?32``/``?33`` subfields).
    """
    out = name
    if rng.random() < 0.3:  # legal form dropped (when there is one)
        for form in ALL_LEGAL:
            if out.endswith(" " + form):
                out = out[: -len(form) - 1]
                break
    if rng.random() < 0.5:
        out = out.upper()
    if rng.random() < 0.5:
        out = out.translate(TRANSLIT if rng.random() < 0.5 else ACCENTS).translate(
            ACCENTS
        )
    words = out.split()
    if rng.random() < 0.15 and len(words) > 1:
        words = words[1:] + words[:1]
    out = " ".join(words)
    if rng.random() < 0.15:
        out = typo(rng, out, letters=True)
    if rng.random() < 0.15:
        out = out[:27].rstrip()
    return out


# what banks charge per transfer (and payers deduct): tariffs, mostly round
FEE_TARIFFS = (0.35, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)


def bank_fee(rng):
    """A deducted bank charge: a tariff (80 %) or any amount up to 5.00
    (a percentage charge, a currency conversion difference)."""
    if rng.random() < 0.8:
        return rng.choice(FEE_TARIFFS)
    return round(rng.uniform(0.3, 5.0), 2)


def typo(rng, text, letters=False):
    pos = [i for i, c in enumerate(text) if (c.isalpha() if letters else c.isdigit())]
    if not pos:
        return text
    i = rng.choice(pos)
    kind = rng.random()
    if kind < 0.35 and i + 1 < len(text) and text[i + 1] != text[i]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind < 0.7:
        alphabet = "abcdefghijklmnopqrstuvwxyz" if letters else "0123456789"
        c = rng.choice([a for a in alphabet if a != text[i].lower()])
        return text[:i] + c + text[i + 1 :]
    return text[:i] + text[i + 1 :]


def quote(rng, number):
    """A correct but differently typed document number."""
    prefix, year, seq = number.split("/")
    roll = rng.random()
    if roll < 0.55:
        return number
    if roll < 0.7:
        return "%s %s %s" % (prefix, year, seq)
    if roll < 0.8:
        return "%s%s%s" % (prefix, year, seq)
    if roll < 0.9:
        return ("%s/%s/%d" % (prefix, year, int(seq))).lower()
    return "%s%s %s" % (prefix, year, seq[1:] if seq.startswith("0") else seq)


def mistype(rng, number):
    """A document number with one typo, as payers make them."""
    roll = rng.random()
    if roll < 0.25:
        i = number.rfind("0")
        return number[:i] + "O" + number[i + 1 :]
    prefix, year, seq = number.split("/")
    return "%s/%s/%s" % (prefix, year, typo(rng, seq))


def label_with(rng, refs_text, line_date):
    head = rng.choice(["", "", "Payment ", "Invoice ", "Rechnung ", "Facture ", "Ref "])
    tail = rng.choice(["", "", " thanks", " %s" % line_date.isoformat(), " EUR"])
    return head + refs_text + tail


class Generator:
    CASES = [
        ("exact reference", 0.28),
        ("reference with typo", 0.10),
        ("no reference", 0.14),
        ("several invoices listed", 0.05),
        ("several invoices, no reference", 0.04),
        ("partial payment", 0.05),
        ("bank fee deducted", 0.07),
        ("early-payment discount", 0.05),
        ("foreign currency", 0.05),
        ("overpayment", 0.02),
        ("RF creditor reference", 0.05),
        ("pays nothing", 0.10),
    ]

    def __init__(self, world, refs, rng):
        self.w = world
        self.refs = refs
        self.rng = rng
        self.used = set()
        self.pools = {
            "usd": [it for it in world.items if it.currency],
            "disc": [it for it in world.items if it.discount and not it.currency],
            "rf": [it for it in world.items if it.rf_ref],
            "eur": [it for it in world.items if not it.currency],
        }

    def _take(self, pool):
        for _try in range(1000):
            it = self.rng.choice(self.w.items if pool is None else self.pools[pool])
            if it.id not in self.used:
                self.used.add(it.id)
                return it
        raise RuntimeError("not enough items for so many lines")

    def _common(self, it, with_ref=True):
        """Payer name and account of a line paying ``it``.

        5 % of the lines quoting a reference are paid by a third party (a
        parent company, a factor): its own name and account; 3 % of them
        come without the payer's name (some bank formats drop it).  A line
        with neither reference, nor the customer's name or account cannot be
        attributed by anyone, so lines without a reference come from the
        customer itself and carry its name (as the bank spells it).
        """
        rng = self.rng
        cust = self.w.cust_by_id[it.customer_id]
        if with_ref and rng.random() < 0.05:
            name = self.w._company_name(rng.choice(list(SURNAMES)))
            return name, "FR76%023d" % rng.randrange(10**22)
        if rng.random() < 0.85:
            account = rng.choice(cust[3])
        else:  # another account of the customer, not known yet
            account = "FR76%023d" % rng.randrange(10**22)
        name = payer_name(rng, cust[1])
        if with_ref and rng.random() < 0.03:
            name = ""
        if account in self.w.known.accounts and rng.random() < 0.05:
            name = "ACCOUNTS PAYABLE DEPT %d" % it.customer_id
        for learned, cid in self.w.learned.items():
            if cid == it.customer_id and rng.random() < 0.5:
                name = learned
        return name, account

    def line(self, case, n):
        rng = self.rng
        m = self.w.m
        line_date = TODAY - datetime.timedelta(days=rng.randint(0, 5))
        if case == "pays nothing":
            amount = round(rng.lognormvariate(6, 1.2) + 1, 2)
            name = rng.choice(["Bank Interest", "Tax Office", "", "J. Doe"])
            if rng.random() < 0.5:
                name = self.w._company_name(rng.choice(list(SURNAMES)))
            line = m.StatementLine(
                id=n,
                amount=amount,
                date=line_date,
                label=rng.choice(NOTHING_LABELS),
                partner_name=name,
                account_number="GB29%018d" % rng.randrange(10**17),
            )
            return line, None
        if case in ("several invoices listed", "several invoices, no reference"):
            return self._several(case, n, line_date)
        pool = {
            "foreign currency": "usd",
            "early-payment discount": "disc",
            "RF creditor reference": "rf",
        }.get(case, "eur")
        it = self._take(pool)
        while case == "overpayment" and it.payment_ref.startswith("CUST"):
            # an excess is an overpayment of an invoice only when the payer
            # names the invoice; naming only the customer, it is a payment
            # on account, which no invoice can claim as the truth
            self.used.discard(it.id)
            it = self._take(pool)
        with_ref = rng.random() < {
            "no reference": 0.0,
            "partial payment": 0.85,
            "bank fee deducted": 0.7,
            "early-payment discount": 0.7,
            "foreign currency": 0.6,
        }.get(case, 1.0)
        customer_ref = it.payment_ref.startswith("CUST")
        if case == "partial payment" and (customer_ref or not with_ref):
            it = self._oldest_instead(it)
            customer_ref = it.payment_ref.startswith("CUST")
        if case == "early-payment discount":
            line_date = min(line_date, it.discount_date)
        name, account = self._common(it, with_ref)
        amount = it.residual
        fc_amount = None
        apply = it.residual
        number = it.payment_ref if customer_ref else it.number
        if it.rf_ref:
            number = it.number if rng.random() < 0.5 else it.rf_ref
        text = quote(rng, number) if number.startswith("INV") else number
        if case == "reference with typo":
            text = mistype(rng, it.number)
        elif case == "partial payment":
            amount = round(it.residual * rng.uniform(0.2, 0.8), 2)
            apply = amount
        elif case == "bank fee deducted":
            fee = bank_fee(rng)
            amount = round(it.residual - fee, 2)
        elif case == "early-payment discount":
            amount = round(it.residual - it.discount, 2)
        elif case == "foreign currency":
            fc_amount = it.residual_currency
            apply = it.residual_currency
            amount = round(it.residual_currency / USD_RATE_TODAY, 2)
        elif case == "overpayment":
            amount = round(it.residual * rng.uniform(1.01, 1.2), 2)
        elif case == "RF creditor reference":
            text = self.refs.rf_format(it.rf_ref)
            if rng.random() < 0.2:
                text = text[:-1] + str((int(text[-1], 36) + 1) % 10)
        label = (
            label_with(rng, text, line_date) if with_ref else rng.choice(NOISE_LABELS)
        )
        line = m.StatementLine(
            id=n,
            amount=amount,
            date=line_date,
            label=label,
            partner_name=name,
            account_number=account,
            amount_currency=fc_amount,
            currency="USD" if fc_amount is not None else "",
        )
        return line, {it.id: apply}

    def _oldest_instead(self, it):
        """The customer's oldest open item in company currency, instead of ``it``.

        A partial payment that names no invoice (no reference, or only the
        customer's reference) is an instalment on the customer's debt; the
        customer and its accountant apply it to the oldest open invoice, as
        dunning asks for the oldest first.  Paying a random invoice partly
        without naming it would leave no way to tell which one.
        """
        mine = [
            x
            for x in self.w.by_customer[it.customer_id]
            if not x.currency and (x.id not in self.used or x is it)
        ]
        oldest = min(mine, key=lambda x: (x.due_date, x.id))
        if oldest is not it:
            self.used.discard(it.id)
            self.used.add(oldest.id)
        return oldest

    def _several(self, case, n, line_date):
        rng = self.rng
        m = self.w.m
        for _try in range(1000):
            first = self._take("eur")
            mine = [
                it
                for it in self.w.by_customer[first.customer_id]
                if not it.currency and (it.id not in self.used or it is first)
            ]
            if len(mine) >= 3:
                break
            self.used.discard(first.id)
        mine.sort(key=lambda it: (it.due_date, it.id))
        k = rng.choice([2, 2, 3, 3, 4]) if case == "several invoices listed" else 2
        if case == "several invoices, no reference":
            k = rng.choice([2, 2, 3])
            chosen = rng.sample(mine[:8], min(k, len(mine[:8])))
        else:
            chosen = rng.sample(mine, min(k, len(mine)))
        for it in chosen:
            self.used.add(it.id)
        name, account = self._common(chosen[0], case == "several invoices listed")
        amount = round(sum(it.residual for it in chosen), 2)
        if case == "several invoices listed":
            sep = rng.choice([", ", " ", " / ", " + "])
            label = label_with(
                rng, sep.join(quote(rng, it.number) for it in chosen), line_date
            )
        else:
            label = rng.choice(NOISE_LABELS)
        line = m.StatementLine(
            id=n,
            amount=amount,
            date=line_date,
            label=label,
            partner_name=name,
            account_number=account,
        )
        return line, {it.id: it.residual for it in chosen}

    def lines(self, count):
        names = [c for c, _w in self.CASES]
        weights = [w for _c, w in self.CASES]
        cases = self.rng.choices(names, weights=weights, k=count)
        return [(case,) + self.line(case, n) for n, case in enumerate(cases)]

    # targeted cases (issue 14): drawn after the main mix, from their own
    # random stream, so that the main mix (and ``bench_cash``'s data set,
    # which has none of them) stays line for line what it was
    TARGETED = [
        "transposed digits, name in label",
        "transposed digits, payer name",
        "transposed digits, no name",
        "mistyped number is another invoice",
        "named subset",
    ]

    def targeted(self, per_case, first_id):
        out = []
        n = first_id
        for case in self.TARGETED:
            for _k in range(per_case):
                line, truth = self._targeted_line(case, n)
                out.append((case, line, truth))
                n += 1
        return out

    def _unknown_account(self):
        return "FR76%023d" % self.rng.randrange(10**22)

    def _swap_item(self, collide):
        """An open item and its number with two adjacent digits swapped.

        With ``collide``, the swapped number is another open item's, whose
        amount differs (returned third); without, it is nobody's number.
        """
        rng = self.rng
        for _try in range(5000):
            it = self._take("eur")
            if it.payment_ref.startswith("CUST"):
                self.used.discard(it.id)
                continue
            prefix, year, seq = it.number.split("/")
            spots = [i for i in range(len(seq) - 1) if seq[i] != seq[i + 1]]
            rng.shuffle(spots)
            for i in spots:
                swapped = seq[:i] + seq[i + 1] + seq[i] + seq[i + 2 :]
                number = "%s/%s/%s" % (prefix, year, swapped)
                other = self.w.by_number.get(number)
                if collide:
                    if (
                        other is not None
                        and other.id not in self.used
                        and not other.currency
                        and abs(other.residual - it.residual) > 20
                    ):
                        return it, number, other
                elif other is None:
                    return it, number, None
            self.used.discard(it.id)
        raise RuntimeError("no item to mistype")

    def _targeted_line(self, case, n):
        rng = self.rng
        m = self.w.m
        line_date = TODAY - datetime.timedelta(days=rng.randint(0, 5))
        if case == "named subset":
            return self._named_subset(n, line_date)
        it, number, _other = self._swap_item(
            case == "mistyped number is another invoice"
        )
        cust_name = payer_name(rng, self.w.cust_by_id[it.customer_id][1])
        text = number if rng.random() < 0.6 else number.replace("/", " ")
        partner = ""
        if case == "transposed digits, name in label":
            label = "%s %s" % (cust_name, label_with(rng, text, line_date))
        elif case == "transposed digits, payer name":
            label = label_with(rng, text, line_date)
            partner = cust_name
        elif case == "transposed digits, no name":
            label = label_with(rng, text, line_date)
        else:  # the mistyped number is another open invoice
            label = label_with(rng, text, line_date)
            if rng.random() < 0.5:
                label = "%s %s" % (cust_name, label)
            else:
                partner = cust_name
        line = m.StatementLine(
            id=n,
            amount=it.residual,
            date=line_date,
            label=label,
            partner_name=partner,
            account_number=self._unknown_account(),
        )
        return line, {it.id: it.residual}

    def _named_subset(self, n, line_date):
        """Invoices of one customer, the label naming some of them only."""
        rng = self.rng
        m = self.w.m
        for _try in range(1000):
            first = self._take("eur")
            mine = [
                it
                for it in self.w.by_customer[first.customer_id]
                if not it.currency
                and (it.id not in self.used or it is first)
                and not it.payment_ref.startswith("CUST")
            ]
            if 4 <= len(mine) <= 60:
                break
            self.used.discard(first.id)
        mine.sort(key=lambda it: (it.due_date, it.id))
        chosen = rng.sample(mine, rng.choice([2, 3, 3, 4]))
        named = chosen[: rng.randint(1, len(chosen) - 1)]
        for it in chosen:
            self.used.add(it.id)
        name, account = self._common(chosen[0])
        sep = rng.choice([", ", " ", " + "])
        label = label_with(
            rng, sep.join(quote(rng, it.number) for it in named), line_date
        )
        line = m.StatementLine(
            id=n,
            amount=round(sum(it.residual for it in chosen), 2),
            date=line_date,
            label=label,
            partner_name=name,
            account_number=account,
        )
        return line, {it.id: it.residual for it in chosen}


def is_right(proposal, truth):
    if proposal is None or truth is None:
        return False
    got = dict(proposal.allocations)
    if set(got) != set(truth):
        return False
    return all(abs(got[k] - v) < 0.011 for k, v in truth.items())


def build_dataset(n_lines=10000, n_items=100000, seed=7, with_cases=False, targeted=0):
    """The generated data set, as plain engine objects.

    Returns ``(items, known, lines, truths)``: the ``OpenItem`` list, the
    ``KnownPayers``, the ``StatementLine`` list (``line.id`` = its position)
    and, per line, the truth: ``{item id: amount applied}`` (in the item's
    currency for foreign-currency lines, else in company currency) or None
    for a line that pays nothing.  With ``with_cases`` a fifth element, the
    case name of every line, is returned as well.  ``targeted`` lines of each
    of ``Generator.TARGETED`` follow the main mix (their own random stream:
    the main mix is the same with or without them).  Item ids are 1..n_items
    and customer ids 1..n_customers; the same seed gives the same data, so
    another benchmark (``benchmarks/bench_cash.py``) can build the same set
    inside Odoo and score its results with ``evaluate``.
    """
    m = load_engine("matching")
    refs = load_engine("references")
    rng = random.Random(seed)
    world = World(m, refs, n_items, rng)
    gen = Generator(world, refs, rng)
    generated = gen.lines(n_lines)
    if targeted:
        gen.rng = random.Random(seed * 7919 + 14)
        generated += gen.targeted(targeted, len(generated))
    lines = [line for _case, line, _truth in generated]
    truths = [truth for _case, _line, truth in generated]
    out = (world.items, world.known, lines, truths)
    if with_cases:
        out += ([case for case, _line, _truth in generated],)
    return out


def customer_names(items):
    """{customer id: name} of the items (for creating partners elsewhere)."""
    return {it.customer_id: it.customer_name for it in items}


def run(n_lines=10000, n_items=100000, seed=7, verbose=True, targeted=0):
    """Generate, match and score; returns the overall and per-case figures.

    ``overall`` covers the main mix only; the ``targeted`` lines per case of
    ``Generator.TARGETED`` are scored apart (``targeted overall``).
    """
    m = load_engine("matching")
    t0 = time.perf_counter()
    items, known, lines, truths, cases = build_dataset(
        n_lines, n_items, seed, with_cases=True, targeted=targeted
    )
    t1 = time.perf_counter()
    matcher = m.Matcher(items, known)
    t2 = time.perf_counter()
    decisions = []
    for line in lines:
        decision = matcher.match_and_decide(line)[1]
        if decision.auto:  # as the reconciliation does: the item is paid
            matcher.apply(decision.proposal)
        decisions.append(decision)
    t3 = time.perf_counter()
    figures = evaluate(cases[:n_lines], truths[:n_lines], decisions[:n_lines])
    if targeted:
        extra = evaluate(cases[n_lines:], truths[n_lines:], decisions[n_lines:])
        extra["targeted overall"] = extra.pop("overall")
        figures.update(extra)
    timing = dict(
        generate=t1 - t0,
        index=t2 - t1,
        match=t3 - t2,
        lines_per_second=len(lines) / (t3 - t2) if t3 > t2 else 0.0,
    )
    if verbose:
        report(figures, timing, n_lines, n_items, seed)
    return figures, timing


def evaluate(cases, truths, decisions):
    """Per-case and overall figures of ``Decision`` objects against the truths.

    A decision (or a suggestion) is right when its proposal names exactly the
    truth's items with the truth's amounts; an automatic decision on a line
    that pays nothing is wrong.
    """
    stats = {}
    for case, truth, decision in zip(cases, truths, decisions):
        for key in (case, "overall"):
            s = stats.setdefault(
                key,
                dict(n=0, paying=0, auto=0, auto_paying=0, auto_ok=0, rest=0, top3=0),
            )
            s["n"] += 1
            s["paying"] += truth is not None
            if decision.auto:
                s["auto"] += 1
                s["auto_paying"] += truth is not None
                s["auto_ok"] += is_right(decision.proposal, truth)
            elif truth is not None:
                s["rest"] += 1
                s["top3"] += any(is_right(p, truth) for p in decision.suggestions)
    figures = {}
    for key, s in stats.items():
        figures[key] = dict(
            lines=s["n"],
            precision=s["auto_ok"] / s["auto"] if s["auto"] else None,
            auto_share=s["auto_paying"] / s["paying"] if s["paying"] else None,
            top3_rest=s["top3"] / s["rest"] if s["rest"] else None,
            wrong_auto=s["auto"] - s["auto_ok"],
        )
    return figures


def _pct(v):
    return "-" if v is None else "%.2f %%" % (100 * v)


def report(figures, timing, n_lines, n_items, seed):
    extra = sum(f["lines"] for k, f in figures.items() if k in Generator.TARGETED)
    more = f" (+ {extra} targeted lines)" if extra else ""
    print(f"{n_lines} lines{more} against {n_items} open items, seed {seed}\n")
    print(
        "| case | lines | auto precision | auto-matched | top-3 of the rest | wrong autos |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    order = [c for c, _w in Generator.CASES] + ["overall"]
    order += Generator.TARGETED + ["targeted overall"]
    for key in order:
        f = figures.get(key)
        if f is None:
            continue
        print(
            "| %s | %d | %s | %s | %s | %d |"
            % (
                key,
                f["lines"],
                _pct(f["precision"]),
                _pct(f["auto_share"]),
                _pct(f["top3_rest"]),
                f["wrong_auto"],
            )
        )
    print(
        "\ngenerate %.1f s, index %.1f s, match %.1f s: %.0f lines/s"
        % (
            timing["generate"],
            timing["index"],
            timing["match"],
            timing["lines_per_second"],
        )
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=10000)
    parser.add_argument("--items", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--targeted",
        type=int,
        default=0,
        help="lines per targeted case (transposed digits, a mistyped number "
        "that is another invoice, a named subset), after the main mix",
    )
    args = parser.parse_args(argv)
    run(args.lines, args.items, args.seed, targeted=args.targeted)


if __name__ == "__main__":
    main()
