"""Shared helpers for the plain-Python tests (no Odoo, no database).

The addons keep their business rules in pure-Python "engine" modules
(``addons/<addon>/engine/<module>.py``) so that they can be tested here
without Odoo. ``load_engine`` imports such a file by its path, without
importing the addon package itself (which needs Odoo)::

    from conftest import load_engine

    credit = load_engine("otc_order_to_cash", "credit")

or, as a fixture::

    def test_something(load_engine):
        credit = load_engine("otc_order_to_cash", "credit")

Engine modules are loaded as members of a synthetic package (one per addon)
whose path is the ``engine`` folder, so that they may import each other with
relative imports (``from . import money``); ``engine/__init__.py`` is not run.
Engine modules must not import ``odoo``.

pytest-odoo, when installed beside Odoo, adds session fixtures that load an
Odoo registry for every test it collects; the plain tests use no database, so
the fixtures below replace them here (``tests/`` only) unless a database was
given with ``--odoo-database``.
"""

import datetime
import importlib
import sys
import types
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
ADDONS_DIR = REPO_ROOT / "addons"

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

_PACKAGE_PREFIX = "_otc_engine"


def _engine_package(addon):
    """Return (creating it once) the synthetic package of an addon's engine."""
    engine_dir = ADDONS_DIR / addon / "engine"
    if not engine_dir.is_dir():
        raise FileNotFoundError(f"no engine folder: {engine_dir}")
    name = f"{_PACKAGE_PREFIX}.{addon}"
    package = sys.modules.get(name)
    if package is None:
        if _PACKAGE_PREFIX not in sys.modules:
            root = types.ModuleType(_PACKAGE_PREFIX)
            root.__path__ = []
            sys.modules[_PACKAGE_PREFIX] = root
        package = types.ModuleType(name)
        package.__path__ = [str(engine_dir)]
        package.__package__ = name
        sys.modules[name] = package
    return package


def load_engine(addon, module_name):
    """Import ``addons/<addon>/engine/<module_name>.py`` and return the module.

    The module is imported once; later calls return the same module object.
    """
    package = _engine_package(addon)
    path = Path(package.__path__[0]) / f"{module_name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no engine module: {path}")
    return importlib.import_module(f"{package.__name__}.{module_name}")


def _odoo_database_given(config):
    try:
        return bool(config.getoption("--odoo-database"))
    except ValueError:  # pytest-odoo is not installed
        return False


@pytest.fixture(scope="session", autouse=True)
def load_registry(request):
    """pytest-odoo's registry loading, skipped for the database-free tests."""
    if _odoo_database_given(request.config):
        pytest.fail("tests/ holds plain-Python tests: run them without --odoo-database")
    yield


@pytest.fixture(scope="session", autouse=True)
def load_http():
    """pytest-odoo's HTTP server, never needed by the plain tests."""
    yield


@pytest.fixture(name="load_engine")
def _load_engine_fixture():
    """The ``load_engine`` function, as a fixture."""
    return load_engine


@pytest.fixture(name="repo_root")
def _repo_root_fixture():
    return REPO_ROOT


def open_item(id_, cust, name, residual, **kw):
    """A matching-engine ``OpenItem`` with a dense invoice number and a due date
    derived from its id, for the matcher's tests."""
    matching = load_engine("otc_order_to_cash", "matching")
    kw.setdefault("number", "INV/2026/%05d" % id_)
    kw.setdefault("due_date", datetime.date(2026, 1, 1 + id_ % 28))
    return matching.OpenItem(
        id=id_, customer_id=cust, customer_name=name, residual=residual, **kw
    )
