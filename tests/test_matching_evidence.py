"""Evidence combining name and amount, bank-fee isolation, fallback suggestions."""

from datetime import date

from conftest import load_engine
from conftest import open_item as item

m = load_engine("otc_order_to_cash", "matching")

D = date(2026, 6, 15)
NAMED_UNIQUE = "only item with this amount among customers named like the payer"
ISOLATED = "no other open item of the customer the amount could partly pay"


def run(items, known=None, **line):
    line.setdefault("date", D)
    matcher = m.Matcher(items, known)
    return matcher.match_and_decide(m.StatementLine(**line))


def texts(proposal):
    return [r.text for r in proposal.reasons]


def has_reason(proposal, start):
    return any(t.startswith(start) for t in texts(proposal))


NAMESAKES = [
    item(1, "X", "Michel SAS", 1234.56),
    item(2, "X", "Michel SAS", 80.00),
    item(3, "Y", "Michel SARL", 310.00),
    item(4, "Y", "Michel SARL", 2999.00),
    item(5, "Z", "Garcia SL", 1234.56),
]


def test_namesake_with_the_only_named_amount_is_auto_matched():
    props, decision = run(NAMESAKES, amount=1234.56, partner_name="MICHEL")
    assert decision.auto
    assert decision.proposal.item_ids == (1,)
    assert has_reason(decision.proposal, NAMED_UNIQUE)
    # the reasons still add up to the strength
    total = sum(r.contribution for r in decision.proposal.reasons)
    assert abs(total - decision.proposal.strength) < 1e-3


def test_namesakes_sharing_the_amount_stay_suggestions():
    items = NAMESAKES + [item(6, "Y", "Michel SARL", 1234.56)]
    props, decision = run(items, amount=1234.56, partner_name="MICHEL")
    assert not decision.auto
    assert {p.customer_id for p in decision.suggestions[:2]} == {"X", "Y"}
    assert not any(has_reason(p, NAMED_UNIQUE) for p in props)


def test_a_name_sharing_one_word_does_not_count_as_named():
    props, decision = run(NAMESAKES, amount=1234.56, partner_name="Lambert Michel")
    assert not any(has_reason(p, NAMED_UNIQUE) for p in props)
    assert not decision.auto


def test_other_legal_form_spelled_out_does_not_count_as_named():
    items = [it for it in NAMESAKES if it.customer_id != "X"] + [
        item(7, "W", "Michel SA", 1234.56)
    ]
    props, _decision = run(items, amount=1234.56, partner_name="Michel SARL")
    assert not any(has_reason(p, NAMED_UNIQUE) for p in props)


ACCOUNT = "DE89370400440532013000"
KNOWN = m.KnownPayers(accounts={ACCOUNT: "A"})


def codes(proposal):
    return [r.code for r in proposal.reasons]


def test_bank_fee_on_the_only_item_of_a_known_customer_is_auto_matched():
    items = [item(1, "A", "Alpha GmbH", 500.00), item(2, "A", "Alpha GmbH", 40.00)]
    _props, decision = run(items, KNOWN, amount=497.50, account_number=ACCOUNT)
    assert decision.auto
    assert decision.proposal.kind == "fee"
    assert decision.proposal.writeoff == 2.5
    assert "fee_identified" in codes(decision.proposal)
    assert "fee_round" in codes(decision.proposal)


def test_bank_fee_of_a_customer_named_without_namesakes_is_auto_matched():
    items = [item(1, "A", "Alpha Omega GmbH", 500.00), item(2, "B", "Beta AG", 9.0)]
    _props, decision = run(items, amount=497.50, partner_name="ALPHA OMEGA GMBH")
    assert decision.auto and decision.proposal.kind == "fee"


def test_bank_fee_of_namesakes_is_not_auto():
    items = [
        item(1, "A", "Alpha Omega GmbH", 500.00),
        item(2, "B", "Alpha Omega GmbH", 900.00),
    ]
    props, decision = run(items, amount=497.50, partner_name="Alpha Omega GmbH")
    assert props[0].kind == "fee" and props[0].item_ids == (1,)
    assert "fee_identified" not in codes(props[0])
    assert not decision.auto


CROWD = [item(k, "A", "Alpha GmbH", round(300.00 + k * 1.37, 2)) for k in range(1, 300)]


def test_round_bank_fee_of_a_crowded_customer_is_not_auto():
    # hundreds of items around the amount: several are a fee away
    props, decision = run(CROWD, KNOWN, amount=435.00, account_number=ACCOUNT)
    assert props[0].kind == "fee" and props[0].item_ids == (100,)  # 437.00
    assert "fee_round" in codes(props[0])
    assert "unique_customer_amount" not in codes(props[0])
    assert not decision.auto


def test_odd_fee_of_a_crowded_customer_ranks_after_the_oldest_partial():
    # 434.97 is a few cents short of several items, none by a round amount:
    # likely a coincidence, the partial payment of the oldest item comes first
    props, decision = run(CROWD, KNOWN, amount=434.97, account_number=ACCOUNT)
    assert not decision.auto
    assert "partial_oldest" in codes(props[0]) and props[0].kind == "partial"
    odd = [p for p in props if p.kind == "fee"]
    assert odd and all("fee_round" not in codes(p) for p in odd)


def test_nothing_fits_suggests_oldest_partials_and_the_overpayment():
    items = [
        item(1, "A", "Alpha GmbH", 1000.00, due_date=date(2026, 1, 1)),
        item(2, "A", "Alpha GmbH", 2000.00, due_date=date(2026, 2, 1)),
        item(3, "A", "Alpha GmbH", 3000.00, due_date=date(2026, 3, 1)),
        item(4, "A", "Alpha GmbH", 650.00, due_date=date(2026, 4, 1)),
        item(5, "A", "Alpha GmbH", 60.00, due_date=date(2026, 5, 1)),
    ]
    _props, decision = run(items, KNOWN, amount=700.00, account_number=ACCOUNT)
    assert not decision.auto
    top = [(p.item_ids, p.kind) for p in decision.suggestions]
    assert ((1,), "partial") in top  # oldest item the amount does not cover
    assert ((2,), "partial") in top
    assert ((4,), "overpayment") in top  # largest item below the amount
    assert len(top) == 3


def test_discount_of_an_unidentified_payer_is_suggested():
    items = [
        item(1, "A", "Alpha GmbH", 500.00, discount=10.0, discount_date=D),
        item(2, "B", "Beta AG", 700.00),
    ]
    props, decision = run(items, amount=490.00, partner_name="Someone Else")
    assert props, "no proposal"
    assert props[0].item_ids == (1,)
    assert props[0].kind == "discount"
    assert not decision.auto


def test_namesakes_holding_many_items_near_the_amount_get_no_name_bonus():
    # the same amount among hundreds of namesake items near it is likely
    # a coincidence: expected chance matches exceed CHANCE_MAX
    crowd = [
        item(100 + k, "Y", "Michel SARL", round(1200.00 + k * 0.23, 2))
        for k in range(300)
        if round(1200.00 + k * 0.23, 2) != 1234.56
    ]
    props, decision = run(NAMESAKES + crowd, amount=1234.56, partner_name="MICHEL")
    assert props[0].item_ids == (1,)
    assert not has_reason(props[0], NAMED_UNIQUE)
    assert not decision.auto


def test_unique_combination_of_oldest_items_of_a_known_customer_is_auto():
    items = [
        item(1, "A", "Alpha GmbH", 120.00, due_date=date(2026, 1, 1)),
        item(2, "A", "Alpha GmbH", 333.33, due_date=date(2026, 1, 2)),
        item(3, "A", "Alpha GmbH", 47.11, due_date=date(2026, 1, 3)),
        item(4, "A", "Alpha GmbH", 9000.00, due_date=date(2026, 1, 4)),
    ]
    _props, decision = run(items, KNOWN, amount=380.44, account_number=ACCOUNT)
    assert decision.auto
    assert set(decision.proposal.item_ids) == {2, 3}
    assert "combination of the customer's oldest items" in texts(decision.proposal)


def test_combination_beyond_the_oldest_items_gets_no_oldest_bonus():
    items = [
        item(k, "A", "Alpha GmbH", 1000.00 + k, due_date=date(2026, 1, k))
        for k in range(1, 12)
    ] + [
        item(20, "A", "Alpha GmbH", 333.33, due_date=date(2026, 2, 1)),
        item(21, "A", "Alpha GmbH", 47.11, due_date=date(2026, 2, 2)),
    ]
    props, _decision = run(items, KNOWN, amount=380.44, account_number=ACCOUNT)
    assert set(props[0].item_ids) == {20, 21}
    assert "combination of the customer's oldest items" not in texts(props[0])
    # the only two items below the amount add up to it: rare by chance
    assert "subset_unique" in codes(props[0])


def test_combination_among_many_small_items_is_not_auto():
    # forty small items: many combinations of three hit any amount
    items = [
        item(
            k, "A", "Alpha GmbH", round(10.00 + k * 0.37, 2), due_date=date(2026, 2, 1)
        )
        for k in range(1, 41)
    ]
    props, decision = run(items, KNOWN, amount=45.67, account_number=ACCOUNT)
    assert props and props[0].kind == "subset"
    assert "subset_unique" not in codes(props[0])
    assert not decision.auto
