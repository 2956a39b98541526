"""The layout's rules, checked: the domain knows nothing of the web, and mypy passes on it."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def _run(*command):
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_domain_imports_neither_flask_nor_blueprints():
    """import-linter's contract (.importlinter): domain/ -> no flask, werkzeug, wtforms, blueprints."""
    result = _run(os.path.join(BIN, "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_mypy_passes_on_the_domain():
    """mypy (mypy.ini) on domain/: the public functions' types hold."""
    result = _run(sys.executable, "-m", "mypy", "--cache-dir", os.path.join(ROOT, ".mypy_cache"))
    assert result.returncode == 0, result.stdout + result.stderr
