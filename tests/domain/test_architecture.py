"""The layout's rules, checked: the domain knows nothing of the web, its packages form
layers without cycles, the models import nothing of the project but the clock, and mypy
passes on the domain."""
import ast
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
LINT_IMPORTS = os.path.join(BIN, "lint-imports")


def _run(*command, cwd=ROOT):
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_import_contracts_hold():
    """import-linter's contracts (.importlinter): domain/ imports no flask, werkzeug,
    wtforms nor blueprints; the domain's packages import only the layers below them;
    the web sits above the domain, which sits above the models."""
    result = _run(LINT_IMPORTS, "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_a_planted_cycle_breaks_the_layers_contract(tmp_path):
    """The catalogue importing the bookings (a layer above it) is the kind of cycle the
    layers contract exists to stop: on a copy of the tree with that one import added,
    lint-imports fails and names the contract."""
    for package in ("domain", "blueprints"):
        shutil.copytree(os.path.join(ROOT, package), tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(ROOT, ".importlinter"), tmp_path / ".importlinter")
    planted = tmp_path / "domain" / "catalogue" / "categories.py"
    planted.write_text(planted.read_text() + "\nfrom domain.booking import inscription  # noqa\n")

    result = _run(LINT_IMPORTS, "--no-cache", cwd=tmp_path)

    assert result.returncode != 0, result.stdout
    assert "The domain's packages form layers (no cycle between them) BROKEN" in result.stdout
    assert "domain.catalogue.categories -> domain.booking.inscription" in result.stdout


def _project_imports(path):
    """The modules of this project that the file at ``path`` imports, wherever it does."""
    project = {name.removesuffix(".py") for name in os.listdir(ROOT)
               if name.endswith(".py") or os.path.isfile(os.path.join(ROOT, name, "__init__.py"))}
    tree = ast.parse(open(path, encoding="utf-8").read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name for name in names if name.split(".")[0] in project}
    return found


def test_models_import_only_the_clock():
    """models.py sits below the domain: the one project module it imports is
    domain.clock (every stored timestamp comes from the portal's one clock). import-linter
    sees models.py from outside (a module, not a package), so this test checks it."""
    assert _project_imports(os.path.join(ROOT, "models.py")) == {"domain.clock"}
    assert _project_imports(os.path.join(ROOT, "domain", "clock.py")) == set()


def test_no_function_level_import_in_the_domain():
    """Every import of domain/ is at the top of its module, where import-linter and a
    reader see it; an import inside a function used to hide a cycle."""
    hidden = []
    for folder, _, files in os.walk(os.path.join(ROOT, "domain")):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            tree = ast.parse(open(path, encoding="utf-8").read())
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    hidden += [f"{os.path.relpath(path, ROOT)}:{inner.lineno}"
                               for inner in ast.walk(node)
                               if isinstance(inner, (ast.Import, ast.ImportFrom))]
    assert hidden == []


def test_mypy_passes_on_the_domain():
    """mypy (mypy.ini) on domain/: the public functions' types hold."""
    result = _run(sys.executable, "-m", "mypy", "--cache-dir", os.path.join(ROOT, ".mypy_cache"))
    assert result.returncode == 0, result.stdout + result.stderr
