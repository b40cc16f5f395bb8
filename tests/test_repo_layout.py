"""Repository layout checks that need neither Odoo nor a database."""

import ast
import csv
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import ADDONS_DIR, REPO_ROOT

AUTHOR = "Order-to-Cash Suite contributors"
VERSION_RE = re.compile(r"^18\.0\.\d+\.\d+\.\d+$")
# directories of Odoo itself that must never be vendored into this repository
ODOO_ADDONS = ("base", "web", "sale", "account", "mail", "portal", "stock")

ADDONS = sorted(p.parent.name for p in ADDONS_DIR.glob("*/__manifest__.py"))


def read_manifest(addon):
    return ast.literal_eval((ADDONS_DIR / addon / "__manifest__.py").read_text())


def manifest_files(manifest):
    for key in ("data", "demo"):
        yield from manifest.get(key, [])


def test_there_are_addons():
    assert ADDONS, f"no addon (no */__manifest__.py) under {ADDONS_DIR}"


@pytest.mark.parametrize("addon", ADDONS)
def test_manifest_basics(addon):
    manifest = read_manifest(addon)
    assert isinstance(manifest, dict)
    assert manifest.get("name"), "manifest has no name"
    assert VERSION_RE.match(manifest.get("version", "")), (
        f"version {manifest.get('version')!r} is not 18.0.x.y.z"
    )
    assert manifest.get("license") == "LGPL-3"
    assert manifest.get("installable", True) is True
    assert AUTHOR in manifest.get("author", ""), f"author must include {AUTHOR!r}"
    assert isinstance(manifest.get("depends", []), list)
    assert (ADDONS_DIR / addon / "__init__.py").is_file()


@pytest.mark.parametrize("addon", ADDONS)
def test_manifest_files_exist(addon):
    manifest = read_manifest(addon)
    missing = [
        f for f in manifest_files(manifest) if not (ADDONS_DIR / addon / f).is_file()
    ]
    assert not missing, f"files listed in the manifest but missing: {missing}"


@pytest.mark.parametrize("addon", ADDONS)
def test_data_files_are_listed_and_parse(addon):
    root = ADDONS_DIR / addon
    listed = set(manifest_files(read_manifest(addon)))
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".xml" and not rel.startswith("static/"):
            ET.parse(path)  # raises on malformed XML
        elif path.suffix == ".csv":
            with path.open(newline="") as fh:
                rows = list(csv.reader(fh))
            assert rows and rows[0], f"{rel} has no header row"
            widths = {len(r) for r in rows if r}
            assert len(widths) == 1, f"{rel} rows have differing column counts"
        if rel.startswith("security/") and path.suffix in (".xml", ".csv"):
            assert rel in listed, f"{rel} is not listed in the manifest"


def _new_models(addon):
    """Names of the models an addon defines (``_name`` not also inherited)."""
    names = set()
    for path in (ADDONS_DIR / addon).rglob("*.py"):
        rel = path.relative_to(ADDONS_DIR / addon).parts
        if rel[0] in ("tests", "engine", "migrations", "static"):
            continue
        tree = ast.parse(path.read_text(), str(path))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            bases = {ast.unparse(b) for b in cls.bases}
            if not bases & {"models.Model", "models.TransientModel"}:
                continue
            attrs = {}
            for stmt in cls.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target = stmt.targets[0]
                    if isinstance(target, ast.Name):
                        try:
                            attrs[target.id] = ast.literal_eval(stmt.value)
                        except ValueError:
                            pass
            name = attrs.get("_name")
            inherit = attrs.get("_inherit", [])
            inherit = [inherit] if isinstance(inherit, str) else list(inherit)
            if isinstance(name, str) and name not in inherit:
                names.add(name)
    return names


@pytest.mark.parametrize("addon", ADDONS)
def test_new_models_have_access_rules(addon):
    models = _new_models(addon)
    if not models:
        return
    listed = list(manifest_files(read_manifest(addon)))
    text = "".join(
        (ADDONS_DIR / addon / f).read_text()
        for f in listed
        if f.endswith((".csv", ".xml")) and (ADDONS_DIR / addon / f).is_file()
    )
    missing = sorted(m for m in models if "model_" + m.replace(".", "_") not in text)
    assert not missing, (
        f"models without access rules in the manifest's data files: {missing}"
    )


def test_no_odoo_source_in_repository():
    for name in ODOO_ADDONS:
        assert not (ADDONS_DIR / name).exists(), f"addons/{name} looks like Odoo"
    assert not (REPO_ROOT / "odoo" / "__init__.py").exists()
    try:
        tracked = subprocess.run(
            ["git", "ls-files"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    bad = [
        f
        for f in tracked
        if f.startswith("odoo/")
        or "/odoo/addons/" in f
        or f.split("/")[:2] in [["addons", n] for n in ODOO_ADDONS]
    ]
    assert not bad, f"Odoo source is tracked: {bad[:10]}"


@pytest.mark.parametrize("addon", ADDONS)
def test_menu_items_live_in_one_file(addon):
    # one views/menus.xml per addon: from a menu to its action in one hop
    root = ADDONS_DIR / addon
    elsewhere = [
        path.relative_to(root).as_posix()
        for path in sorted(root.rglob("*.xml"))
        if path.relative_to(root).as_posix() != "views/menus.xml"
        and any(True for _ in ET.parse(path).getroot().iter("menuitem"))
    ]
    assert not elsewhere, f"menu items outside views/menus.xml: {elsewhere}"
    manifest = read_manifest(addon)
    if (root / "views/menus.xml").is_file():
        # loaded last: it points at the actions of every other file
        assert manifest["data"][-1] == "views/menus.xml"


@pytest.mark.parametrize("addon", ADDONS)
def test_demo_generators_live_under_demo(addon):
    root = ADDONS_DIR / addon
    misplaced = [
        path.relative_to(root).as_posix()
        for path in sorted((root / "models").glob("*.py"))
        if re.search(r"def _otc_\w*create\w*demo", path.read_text())
    ]
    assert not misplaced, f"demo data generators in model files: {misplaced}"
