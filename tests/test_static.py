"""Static checks of credit_risk_addon that need no Odoo and no database.

They read the files of the module: manifest, XML, CSV, Python sources (with
``ast``, never importing them) and translations (with polib).
What the community's linters check already (manifest version and files, files the
manifest does not load, XML syntax: pylint_odoo and oca-checks-odoo-module, see
.pre-commit-config.yaml) is left to them.
"""

import ast
import csv
import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
ADDON_DIR = REPO_ROOT / "credit_risk_addon"
MODULE = ADDON_DIR.name

try:  # lxml (line numbers) comes with Odoo and with oca-odoo-pre-commit-hooks
    from lxml import etree as _xml
except ImportError:  # pragma: no cover - depends on the environment
    import xml.etree.ElementTree as _xml

SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".test-logs", ".venv", "node_modules"}


def _rel(path):
    return str(Path(path).relative_to(REPO_ROOT))


def _files(root, suffix):
    return sorted(
        path
        for path in Path(root).rglob(f"*{suffix}")
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(REPO_ROOT).parts)
    )


def _manifest():
    return ast.literal_eval((ADDON_DIR / "__manifest__.py").read_text(encoding="utf-8"))


XML_FILES = _files(ADDON_DIR, ".xml")


def _parse_xml(path):
    return _xml.parse(str(path))


def _iter_elements(tree):
    for element in tree.iter():
        if isinstance(element.tag, str):  # lxml yields comments/PIs with a callable tag
            yield element


# ---------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------


def test_manifest_is_a_literal_dict():
    manifest = _manifest()
    assert isinstance(manifest, dict)
    for key in ("name", "version", "license", "depends", "data"):
        assert key in manifest, f"manifest misses {key!r}"


def test_manifest_license():
    assert _manifest()["license"] == "LGPL-3"


def test_manifest_external_dependencies():
    """PyPI names, as Odoo 18 checks them with importlib.metadata."""
    python_deps = _manifest().get("external_dependencies", {}).get("python", [])
    assert "pandas" in python_deps
    assert "XlsxWriter" in python_deps, "use the PyPI name XlsxWriter (not xlsxwriter)"


def test_manifest_loads_menus_last():
    data = _manifest()["data"]
    menus = [index for index, name in enumerate(data) if "menu" in Path(name).name]
    assert menus, "no menu file in the manifest"
    views = [index for index, name in enumerate(data) if name.endswith(".xml") and "menu" not in name]
    assert max(views) < min(menus), "menus must be loaded after every view/action they refer to"


def test_manifest_hooks_are_exported():
    manifest = _manifest()
    exported = _imported_names(ADDON_DIR / "__init__.py")
    for key in ("pre_init_hook", "post_init_hook", "uninstall_hook"):
        if key in manifest:
            assert manifest[key] in exported, f"{manifest[key]!r} is not imported in __init__.py"


# ---------------------------------------------------------------------------
# XML
# ---------------------------------------------------------------------------


def test_there_are_xml_files():
    assert XML_FILES, "no XML file found under credit_risk_addon"


TREE_IN_XPATH = re.compile(r"(?:^|/)tree(?:\b|$)")


@pytest.mark.parametrize("path", XML_FILES, ids=_rel)
def test_views_use_odoo_18_syntax(path):
    """Odoo 18: <list> not <tree>, no attrs=/states= (they raise at load time)."""
    problems = []
    for element in _iter_elements(_parse_xml(path)):
        line = getattr(element, "sourceline", "?")
        if element.tag == "tree":
            problems.append(f"line {line}: <tree> (use <list>)")
        for attribute in ("attrs", "states"):
            if attribute in element.attrib:
                problems.append(f"line {line}: {attribute}= (use invisible/readonly/required expressions)")
        if TREE_IN_XPATH.search(element.get("expr", "")):
            problems.append(f"line {line}: xpath on //tree (parent views use <list>)")
        if element.tag == "field" and element.get("name") == "view_mode":
            modes = [mode.strip() for mode in (element.text or "").split(",")]
            if "tree" in modes:
                problems.append(f"line {line}: view_mode 'tree' (use 'list')")
    assert not problems, f"{_rel(path)}:\n" + "\n".join(problems)


# ---------------------------------------------------------------------------
# Access rights
# ---------------------------------------------------------------------------

ACCESS_HEADER = [
    "id",
    "name",
    "model_id:id",
    "group_id:id",
    "perm_read",
    "perm_write",
    "perm_create",
    "perm_unlink",
]


def _access_rows():
    path = ADDON_DIR / "security" / "ir.model.access.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_access_csv_header():
    rows = _access_rows()
    assert rows, "ir.model.access.csv is empty"
    assert rows[0] == ACCESS_HEADER


def test_access_csv_rows():
    rows = _access_rows()[1:]
    assert rows, "ir.model.access.csv has no access rule"
    problems = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            problems.append(f"line {number}: blank line")
            continue
        if len(row) != len(ACCESS_HEADER):
            problems.append(f"line {number}: {len(row)} columns, expected {len(ACCESS_HEADER)}")
            continue
        xml_id, name, model, _group, *perms = row
        if not xml_id or not name or not model:
            problems.append(f"line {number}: id, name and model_id:id are required")
        if any(perm not in ("0", "1") for perm in perms):
            problems.append(f"line {number}: permissions must be 0 or 1, got {perms}")
    ids = [row[0] for row in rows if row]
    duplicates = sorted({xml_id for xml_id in ids if ids.count(xml_id) > 1})
    if duplicates:
        problems.append(f"duplicate ids: {duplicates}")
    assert not problems, "\n".join(problems)


def _new_models():
    """{model name: kind} for every model the module defines (not extends)."""
    found = {}
    for path in _files(ADDON_DIR, ".py"):
        if "tests" in path.relative_to(ADDON_DIR).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            kinds = [base.attr for base in node.bases if isinstance(base, ast.Attribute)]
            kind = next((k for k in kinds if k in ("Model", "TransientModel", "AbstractModel")), None)
            if not kind:
                continue
            attrs = {}
            for statement in node.body:
                if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                    target = statement.targets[0]
                    if isinstance(target, ast.Name) and target.id in ("_name", "_inherit"):
                        try:
                            attrs[target.id] = ast.literal_eval(statement.value)
                        except ValueError:
                            continue
            name = attrs.get("_name")
            inherit = attrs.get("_inherit") or []
            inherit = [inherit] if isinstance(inherit, str) else list(inherit)
            if name and name not in inherit:
                found[name] = kind
    return found


def test_every_new_model_has_access_rules():
    models = _new_models()
    assert models, "no model found: the AST scan is broken"
    granted = {row[2] for row in _access_rows()[1:] if len(row) > 2}
    missing = [
        name
        for name, kind in sorted(models.items())
        if kind != "AbstractModel"
        and f"model_{name.replace('.', '_')}" not in granted
        and f"{MODULE}.model_{name.replace('.', '_')}" not in granted
    ]
    assert not missing, f"models without any ir.model.access row: {missing}"


def test_access_rows_point_to_known_models():
    known = {f"model_{name.replace('.', '_')}" for name in _new_models()}
    unknown = [
        row[2] for row in _access_rows()[1:] if len(row) > 2 and "." not in row[2] and row[2] not in known
    ]
    assert not unknown, f"access rows for models this module does not define: {unknown}"


# ---------------------------------------------------------------------------
# Python packages
# ---------------------------------------------------------------------------


def _imported_names(init_path):
    """Names bound by ``from . import x`` / ``from .x import y`` in an __init__.py."""
    names = set()
    for node in ast.walk(ast.parse(init_path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is None:
                names.update(alias.name for alias in node.names)
            else:
                names.add(node.module.split(".")[0])
                names.update(alias.asname or alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("package", ["models", "wizard", "report"])
def test_every_python_file_is_imported_by_its_package(package):
    folder = ADDON_DIR / package
    init = folder / "__init__.py"
    assert init.is_file(), f"{package}/__init__.py is missing"
    imported = _imported_names(init)
    modules = sorted(path.stem for path in folder.glob("*.py") if path.name != "__init__.py")
    missing = [name for name in modules if name not in imported]
    assert not missing, (
        f"{package}/__init__.py does not import {missing}: import them there"
        " (or move helpers that are not models out of this package)"
    )


def test_module_init_imports_its_packages():
    imported = _imported_names(ADDON_DIR / "__init__.py")
    for package in ("models", "wizard", "report"):
        if (ADDON_DIR / package / "__init__.py").is_file():
            assert package in imported, f"__init__.py does not import {package}"
    assert "tests" not in imported, "the tests package must not be imported by the module"


def test_rules_never_import_odoo_statically():
    offenders = []
    for path in sorted((ADDON_DIR / "rules").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            offenders += [
                f"{_rel(path)}:{node.lineno} {name}" for name in names if name.split(".")[0] == "odoo"
            ]
    assert not offenders, offenders


def test_rules_import_without_odoo():
    """Import the rules in a fresh interpreter and check that no odoo module got loaded."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import rules, rules.aging, rules.gate, rules.inputs, rules.kpis;"
        "import exports.aged_receivables, exports.kpis;"
        "bad = sorted(m for m in sys.modules if m == 'odoo' or m.startswith('odoo.'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(ADDON_DIR)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------
# Copyright
# ---------------------------------------------------------------------------

# Built from pieces so that this file does not match itself.
_NOTICE = "copy" + "right"
FOREIGN_NOTICE = re.compile(
    r"(?:" + _NOTICE + r"|\u00a9).*(?:odoo\s*s\.?\s*a\b|odoo\s+community\s+association|\(?\bo" + r"ca\b\)?)",
    re.IGNORECASE,
)


def _text_files():
    for path in sorted(REPO_ROOT.rglob("*")):
        if not path.is_file() or SKIP_DIRS.intersection(path.relative_to(REPO_ROOT).parts):
            continue
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue  # binary
        try:
            yield path, data.decode("utf-8")
        except UnicodeDecodeError:
            continue


def test_copyright_pattern_matches_what_it_should():
    notice, odoo_sa, oca = _NOTICE.title(), "Odoo S" + ".A.", "Odoo Community " + "Association"
    samples = [
        f"# {notice} 2023 {odoo_sa}",
        f"# {notice} 2019 {odoo_sa.replace('.', '')} <https://www.odoo.com>",
        f"{notice} (C) {oca}",
        f"# {notice} 2020 ACME ({'OC' + 'A'})",
        f"\u00a9 2024 {odoo_sa}",
    ]
    for sample in samples:
        assert FOREIGN_NOTICE.search(sample), sample
    assert not FOREIGN_NOTICE.search(f"# {notice} 2024 credit_risk_addon developers")
    assert not FOREIGN_NOTICE.search(f"{odoo_sa} publishes Odoo")  # not a notice line


def test_no_odoo_sa_or_oca_copyright():
    offenders = [
        f"{_rel(path)}:{number}: {line.strip()}"
        for path, text in _text_files()
        for number, line in enumerate(text.splitlines(), start=1)
        if FOREIGN_NOTICE.search(line)
    ]
    assert not offenders, "foreign copyright lines:\n" + "\n".join(offenders)


# ---------------------------------------------------------------------------
# Translations
# ---------------------------------------------------------------------------

I18N_DIR = ADDON_DIR / "i18n"
POT_FILE = I18N_DIR / f"{MODULE}.pot"
ZH_CN_FILE = I18N_DIR / "zh_CN.po"
EXPORT_HINT = (
    "export it with: python3 -m odoo -d <db with the module installed> --modules=credit_risk_addon "
    "--i18n-export=credit_risk_addon/i18n/credit_risk_addon.pot --stop-after-init "
    "(add --language=zh_CN and a .po file name for the translation)"
)


def load_po(path):
    """polib's view of a PO file, failing the test (never skipping) when it is missing."""
    if not path.is_file():
        pytest.fail(
            f"REQUIRED TRANSLATION FILE MISSING: {_rel(path)}. The module must ship "
            f"{POT_FILE.name} and a complete zh_CN.po (STYLE.md, 'Errors and text'); {EXPORT_HINT}.",
            pytrace=False,
        )
    return polib.pofile(str(path))


def _live(po):
    """Real entries: not obsolete (polib keeps the header apart)."""
    return [entry for entry in po if not entry.obsolete]


def _key(entry):
    return (entry.msgctxt, entry.msgid)


def _translations(entry):
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|%[sdfr]")


def _placeholders(text):
    named = sorted(match.group(1) for match in PLACEHOLDER.finditer(text) if match.group(1))
    positional = sum(1 for match in PLACEHOLDER.finditer(text) if not match.group(1))
    return named, positional


@pytest.mark.i18n
def test_i18n_pot_exists():
    entries = _live(load_po(POT_FILE))
    assert entries, f"{_rel(POT_FILE)} has no entries"


@pytest.mark.i18n
def test_i18n_zh_cn_has_no_fuzzy_entry():
    fuzzy = [entry.msgid for entry in _live(load_po(ZH_CN_FILE)) if "fuzzy" in entry.flags]
    assert not fuzzy, f"fuzzy entries in zh_CN.po (Odoo ignores them): {fuzzy}"


@pytest.mark.i18n
def test_i18n_zh_cn_has_no_empty_msgstr():
    empty = [entry.msgid for entry in _live(load_po(ZH_CN_FILE)) if not all(_translations(entry))]
    assert not empty, f"untranslated entries in zh_CN.po: {empty}"


@pytest.mark.i18n
def test_i18n_zh_cn_covers_the_pot():
    pot = {_key(entry) for entry in _live(load_po(POT_FILE))}
    po = {_key(entry) for entry in _live(load_po(ZH_CN_FILE))}
    missing = sorted(pot - po, key=lambda key: (key[0] or "", key[1]))
    assert not missing, f"{len(missing)} msgid(s) of the .pot missing from zh_CN.po: {missing}"


@pytest.mark.i18n
def test_i18n_zh_cn_keeps_placeholders():
    """A translation that drops or renames %(name)s breaks the message at run time."""
    problems = []
    for entry in _live(load_po(ZH_CN_FILE)):
        expected = _placeholders(entry.msgid)
        for translation in _translations(entry):
            if translation and _placeholders(translation) != expected:
                problems.append(f"{entry.msgid!r} -> {translation!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "path", sorted(ADDON_DIR.rglob("*.py")), ids=lambda path: str(path.relative_to(ADDON_DIR))
)
def test_translatable_strings_can_be_extracted(path):
    """Odoo's pot export (Babel's Python extractor) reads every file of the module.

    Babel 2.10 evaluates the string arguments of a translated call and gives
    up on the whole file when one is an f-string naming a variable: every
    string of that file silently drops out of the .pot.
    """
    extract = pytest.importorskip("babel.messages.extract")
    with path.open("rb") as source:
        list(extract.extract_python(source, ["_", "_lt"], [], {}))
