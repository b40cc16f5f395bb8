"""Payer-name normalization and similarity (no Odoo needed)."""

from conftest import load_engine

names = load_engine("otc_order_to_cash", "names")


def test_normalize_drops_legal_forms_accents_and_case():
    assert names.normalize("Müller Bau GmbH") == ("muller", "bau")
    assert names.normalize("MUELLER BAU") == ("muller", "bau")
    assert names.normalize("Rossi Trasporti S.p.A.") == ("rossi", "trasporti")
    assert names.normalize("ROSSI TRASPORTI SPA") == ("rossi", "trasporti")
    assert names.normalize("Smith & Sons Ltd.") == ("smith", "sons")
    assert names.normalize("S.A.R.L.") == ("sarl",)  # nothing else: kept
    assert names.legal_forms("Dupont S.A.R.L.") == {"sarl"}
    assert names.legal_forms("Acme Limited") == {"ltd"}


def sim(a, b):
    return names.similarity(names.normalize(a), names.normalize(b))


def test_similarity_tolerates_variants():
    assert sim("Müller Bau GmbH", "MUELLER BAU") == 1.0
    assert sim("Van Dijk Transport B.V.", "TRANSPORT VAN DIJK") == 1.0
    assert sim("Lefèvre Négoce SARL", "LEFEVRE NEGOCE") == 1.0
    assert sim("Schneider Elektro GmbH", "Schnieder Elektro") > 0.85  # typo
    assert sim("Acme Industrial Supplies Ltd", "ACME INDUSTRIAL SUPPL") > 0.8
    assert sim("Alpha Beta Cars Ltd", "ABC") >= 0.9  # acronym


def test_similarity_separates_different_names():
    assert sim("Müller Bau GmbH", "Schmidt Logistik AG") < 0.5
    assert sim("Müller Bau GmbH", "Müller Logistik GmbH") < 0.75
    assert sim("", "Müller") == 0.0


def test_osa_distance():
    assert names.osa_distance("abcd", "abdc") == 1
    assert names.osa_distance("kitten", "sitting") == 3
    assert names.osa_distance("kitten", "sitting", limit=1) == 2


def test_name_index_finds_without_full_scan():
    index = names.NameIndex()
    catalogue = {
        1: "Müller Bau GmbH",
        2: "Müller Logistik GmbH",
        3: "Schmidt Elektro AG",
        4: "Rossi Trasporti S.p.A.",
    }
    for cid, name in catalogue.items():
        index.add(cid, name)
    assert index.search("MUELLER BAU")[0] == (1, 1.0)
    assert index.search("rosi trasporti")[0][0] == 4
    assert index.search("Completely Unknown Name") == []
