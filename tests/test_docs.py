"""The Python examples in README.md and docs/ run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks(page: Path) -> list[str]:
    return [textwrap_dedent(b) for b in BLOCK.findall(page.read_text())]


def textwrap_dedent(code: str) -> str:
    import textwrap

    return textwrap.dedent(code)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_python_blocks_run_in_order(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # files the examples save stay out of the repo
    namespace: dict[str, object] = {}
    code_blocks = blocks(page)
    for k, code in enumerate(code_blocks):
        try:
            exec(compile(code, f"{page.name} block {k}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(
                f"{page.name}, python block {k} fails:\n{code}"
            ) from error
