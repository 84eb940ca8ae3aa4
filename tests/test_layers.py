"""The import layers hold: `make lint` fails as soon as any module reaches up a layer."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("partyschool", "courses", "exams")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """Run import-linter with the project's contract over the packages in `tree`."""
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--config", "pyproject.toml", "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the packages and the contract, to break on purpose."""
    copy = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.mark.parametrize(
    ("module", "bad_import"),
    [
        ("exams/models.py", "from partyschool.certificates import models"),
        ("courses/models.py", "import partyschool.app.factory"),
        ("partyschool/candidates/rules.py", "import courses.models"),
        ("partyschool/accounts/models.py", "from partyschool.candidates import services"),
    ],
)
def test_an_import_that_reaches_up_breaks_the_contract(tree, module, bad_import):
    path = tree / module
    original = path.read_text()
    assert lint_imports(tree).returncode == 0
    path.write_text(f"{original}\n{bad_import}  # noqa\n")
    try:
        result = lint_imports(tree)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout
