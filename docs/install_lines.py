"""The README's install lines: the one place the docs session (noxfile.py) and the docs tests read them from.

The ``text`` block under "## Installation per backend" in README.md holds one
``pip install ...`` per backend; the docs session installs exactly those (plus pytest, to
run the examples), so an example that needs a package the README does not install fails.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Installation per backend"


def readme_install_lines(text: str | None = None) -> list[list[str]]:
    """The arguments after ``pip install`` of each line of the README's installation block, in order.

    Paths are relative to the repository root (where nox runs). Comments after ``#`` are dropped.
    """
    text = README.read_text(encoding="utf-8") if text is None else text
    if SECTION not in text:
        raise ValueError(f"README.md has no section {SECTION!r}")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```text\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    if len(blocks) != 1:
        raise ValueError(f"{SECTION!r}: expected one text block of install lines, found {len(blocks)}")
    lines = []
    for line in blocks[0].splitlines():
        words = shlex.split(line, comments=True)
        if words[:2] != ["pip", "install"] or len(words) < 3:
            raise ValueError(f"{SECTION!r}: expected 'pip install ...' lines, found {line!r}")
        lines.append(words[2:])
    return lines
