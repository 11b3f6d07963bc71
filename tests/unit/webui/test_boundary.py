"""The engine never needs Streamlit: ``docclass`` imports, and its CLI runs, with Streamlit
made unimportable; no module under ``docclass/`` names it. The pure parts of ``webui`` import
without it too."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import pytest

from tests.paths import ROOT

# A meta-path finder that refuses Streamlit, as if it were not installed.
BLOCKER = textwrap.dedent(
    """
    import importlib.abc, sys

    class NoStreamlit(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "streamlit" or name.startswith("streamlit."):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, NoStreamlit())
    try:
        import streamlit
    except ModuleNotFoundError:
        pass
    else:
        raise SystemExit("the blocker did not block streamlit")
    """
)


def run_blocked(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# Exit code of a blocked run that failed on a stale import inside docclass, not on Streamlit.
STALE = 3
IMPORT = textwrap.dedent(
    """
    import importlib, sys

    def load(name):
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] == "docclass":
                print(f"{name}: {exc}", file=sys.stderr)
                raise SystemExit(STALE)
            raise
    """
).replace("STALE", str(STALE))


def check(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode != STALE, f"a removed module is still imported: {done.stderr}"
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "modules",
    [
        ["docclass", "docclass.jobs.service", "docclass.export"],
        ["docclass.cli"],
        ["webui.format", "webui.service", "webui.nav"],
    ],
)
def test_imports_with_streamlit_unavailable(modules: list[str]) -> None:
    code = IMPORT + "".join(f"load({m!r})\n" for m in modules)
    code += "assert not any(m.split('.')[0] == 'streamlit' for m in sys.modules)\n"
    check(run_blocked(code))


def test_the_cli_runs_with_streamlit_unavailable() -> None:
    done = run_blocked(
        IMPORT
        + """
main = load("docclass.cli").main
try:
    main(["--help"])
except SystemExit as stop:
    assert stop.code in (0, None), stop.code
"""
    )
    check(done)
    assert "classify" in done.stdout


def imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_module_under_docclass_imports_streamlit() -> None:
    offenders = []
    for path in sorted((ROOT / "docclass").rglob("*.py")):
        names = imported_modules(path.read_text("utf-8"))
        if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
            offenders.append(str(path.relative_to(ROOT)))
        if any(n == "webui" or n.startswith("webui.") for n in names):
            offenders.append(str(path.relative_to(ROOT)) + " (imports webui)")
    assert offenders == []
