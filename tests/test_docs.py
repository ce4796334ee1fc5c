"""The Python examples and gradcheck commands in README.md and docs/ run as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from chainrule.cli import main

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


SHELL = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def gradcheck_commands(page: Path) -> list[tuple[str, str]]:
    """Each ``chainrule gradcheck`` command of the page, with the page's Python
    code above it (what the page says to put into the file it checks)."""
    text = page.read_text()
    found = []
    for block in SHELL.finditer(text):
        code = "\n".join(blocks(page)[: len(BLOCK.findall(text[: block.start()]))])
        for line in block.group(1).replace("\\\n", " ").splitlines():
            command = line.partition("#")[0].strip()
            if command.startswith("chainrule gradcheck "):
                found.append((command, code))
    return found


GRADCHECKS = [
    pytest.param(page, command, code, id=f"{page.name}: {command}")
    for page in PAGES
    for command, code in gradcheck_commands(page)
]


@pytest.mark.parametrize(("page", "command", "code"), GRADCHECKS)
def test_gradcheck_commands_pass_as_documented(
    page: Path,
    command: str,
    code: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A page's own file (my_layer.py) is its code so far; other paths are
    # the repository's (examples/).
    target = shlex.split(command)[2].rpartition(":")[0]
    if (ROOT / target).exists():
        monkeypatch.chdir(ROOT)
    else:
        monkeypatch.chdir(tmp_path)
        Path(target).write_text(code)

    status = main(shlex.split(command)[1:])

    captured = capsys.readouterr()
    assert status == 0, f"{page.name}: `{command}` fails:\n{captured.out}{captured.err}"
    assert "gradcheck passed" in captured.out


def test_the_custom_layers_page_checks_from_the_command_line() -> None:
    commands = [
        p.values[1] for p in GRADCHECKS if p.values[0].name == "custom_layers.md"
    ]
    assert len(commands) == 3, commands


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
