"""The collector pause around the cash-application index (no Odoo needed)."""

import gc
import importlib.util

from conftest import ADDONS_DIR

_spec = importlib.util.spec_from_file_location(
    "_otc_tools_heap", ADDONS_DIR / "otc_order_to_cash" / "tools" / "heap.py"
)
heap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heap)


def test_index_built_pauses_then_freezes_until_release():
    assert gc.isenabled()
    gc.unfreeze()
    try:
        with heap.index_built():
            assert not gc.isenabled()
            index = {n: [n] for n in range(1000)}
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(index)
        heap.release()
        assert gc.get_freeze_count() == 0
    finally:
        gc.enable()
        gc.unfreeze()


def test_index_built_restores_the_collector_on_error():
    gc.unfreeze()
    try:
        with heap.index_built():
            raise ValueError("bad data")
    except ValueError:
        pass
    assert gc.isenabled()
    heap.release()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    try:
        with heap.index_built():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        heap.release()
