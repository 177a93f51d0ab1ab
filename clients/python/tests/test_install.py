"""The client installs with pip from the repository path (no network, no dependency: the standard library only)."""
import os
import shutil
import subprocess
import sys

from conftest import ROOT


def test_pip_installs_the_client_from_the_repository_path(tmp_path):
    # A copy, so the build leaves nothing in the repository.
    source = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "clients", "python"), source, ignore=shutil.ignore_patterns("tests", "__pycache__", "build", "*.egg-info"))
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index", "--target", str(site), str(source)],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    check = subprocess.run([sys.executable, "-c", "import fits_ingest_client as c; print(c.__file__); print(c.Client.__name__)"],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(site)}, cwd=str(tmp_path))
    assert check.returncode == 0, check.stderr
    where, name = check.stdout.split()
    assert where.startswith(str(site)) and name == "Client"
