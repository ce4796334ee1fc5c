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


def test_the_hooks_section_prints_what_it_says(capsys) -> None:
    page = (ROOT / "docs" / "gradient_health.md").read_text()
    start = page.index("## Build your own diagnostics")
    section = page[start : page.index("\n## ", start + 1)]
    for hook in (
        "register_hook",
        "retain_grad",
        "register_forward_pre_hook",
        "register_forward_hook",
        "register_full_backward_hook",
    ):
        assert f"{hook}(" in section, hook

    namespace: dict[str, object] = {}
    for code in BLOCK.findall(section):
        exec(compile(code, "gradient_health.md hooks", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    # What the page says each print shows: its comment, or the text block.
    said = re.findall(r"^print\(.*\)  # (.*)$", section, re.M)
    said += re.search(r"^```text\n(.*?)^```", section, re.S | re.M)[1].splitlines()
    assert printed == said
