"""Run every ```python block of README.md and docs/*.md (the `docs` nox session, part of plain `nox`).

Blocks of one file run in order in one namespace, as a reader would paste them; the examples
assert their own outcomes. The session installs exactly the README's install lines
(``install_lines.py``), so an example needing a package the README does not install fails.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))  # install_lines.py, under --import-mode=importlib

from install_lines import readme_install_lines  # noqa: E402

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


def test_pages_have_examples() -> None:
    assert python_blocks(ROOT / "README.md"), "README.md lost its quickstart examples"


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)], ids=lambda p: p.name)
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    blocks = python_blocks(page)
    for i, block in enumerate(blocks):
        code = compile(block, f"{page.name}[block {i}]", "exec")
        exec(code, namespace)  # noqa: S102 - running the documentation is the point
    assert any("assert " in block for block in blocks), f"{page.name}: its examples assert nothing"


def test_readme_install_lines() -> None:
    lines = readme_install_lines()
    assert len(lines) == 3, lines  # numpy only, + PyTorch, + JAX
    for args in lines:
        assert args[:2] == ["-c", "constraints.txt"], args
        for i, arg in enumerate(args):
            if arg == "-e":
                assert (ROOT / args[i + 1].split("[")[0]).is_dir(), args[i + 1]
    assert "torch" in lines[1] and "packages/polymix-torch" in lines[1]
    assert "packages/polymix-jax[train]" in lines[2], "the JAX quickstart trains with optax: the train extra"


def _docs_session() -> ast.FunctionDef:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    (docs,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "docs"]
    return docs


def test_docs_session_installs_the_readme_lines_and_runs_by_default() -> None:
    """The noxfile's docs session installs the README's lines (same parser) plus pytest, and is a default session."""
    docs = _docs_session()
    source = ast.unparse(docs)
    assert "for args in readme_install_lines():\n        session.install(*args)" in source
    calls = [ast.unparse(c) for c in ast.walk(docs) if isinstance(c, ast.Call)]
    installs = sorted(c for c in calls if c.startswith(("session.install", "_install")))
    assert installs == ["_install(session, 'pytest')", "session.install(*args)"], installs
    nox_source = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    (sessions,) = re.findall(r"^nox\.options\.sessions = (\[.*\])$", nox_source, re.MULTILINE)
    assert "docs" in ast.literal_eval(sessions)


def test_environment_is_what_the_readme_installs() -> None:
    """Every package of the README's lines is installed, the JAX train extra (optax) included."""
    for name in ("polymix-core", "polymix-torch", "polymix-jax", "torch", "optax"):
        importlib.metadata.version(name)  # raises PackageNotFoundError when missing
    requires = importlib.metadata.requires("polymix-jax") or []
    assert any(r.startswith("optax") and re.search(r"extra == ['\"]train['\"]", r) for r in requires), requires
