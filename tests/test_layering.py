"""The import layers of DESIGN.md, enforced: one door to Graph, a pure core, a CLI that prints."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"
SDK_PREFIXES = ("msgraph", "kiota", "azure")
PURE_CORE = ("model", "load", "compile", "compile_links", "topology", "diff", "plan", "safety", "render",
             "resolve", "tenant_domains", "odata", "yamlpos", "sync")
# What the core may take from resources/: the Resource type and the link marker and path constants
# that compile shares with the handlers (plain data, no Graph).
PURE_RESOURCE_MODULES = ("reconciler.resources.base", "reconciler.resources.link_marker",
                         "reconciler.resources.link_paths")


def _modules() -> dict[str, ast.Module]:
    return {
        ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts): ast.parse(p.read_text(), str(p))
        for p in PACKAGE.rglob("*.py")
    }


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_graph_package_imports_the_sdk():
    offenders = {
        mod: sorted(i for i in _imports(tree) if i.split(".")[0] in SDK_PREFIXES)
        for mod, tree in _modules().items()
        if not mod.startswith("reconciler.graph")
    }
    assert {m: i for m, i in offenders.items() if i} == {}


def test_core_never_imports_the_emulator():
    offenders = {
        mod: sorted(i for i in _imports(tree) if i.startswith("reconciler.emulator"))
        for mod, tree in _modules().items()
        if not mod.startswith("reconciler.emulator") and mod != "reconciler.cli"
    }
    assert {m: i for m, i in offenders.items() if i} == {}


def test_pure_core_does_not_reach_graph_resources_or_engine():
    forbidden = ("reconciler.graph", "reconciler.resources", "reconciler.engine", "reconciler.apply")
    offenders = {}
    for mod, tree in _modules().items():
        if mod.split(".")[1] not in PURE_CORE:
            continue
        bad = sorted(i for i in _imports(tree) if i.startswith(forbidden) and i not in PURE_RESOURCE_MODULES)
        if bad:
            offenders[mod] = bad
    assert offenders == {}


def test_only_the_cli_prints():
    offenders = []
    for mod, tree in _modules().items():
        if mod in ("reconciler.cli",) or mod.startswith("reconciler.emulator"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{mod}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr in ("echo", "secho") and mod != "reconciler.cli_options":
                offenders.append(f"{mod}:{node.lineno}")
    assert offenders == []


def test_importing_the_cli_loads_no_sdk():
    code = (
        "import sys, reconciler.cli\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('msgraph', 'kiota_abstractions', "
        "'kiota_http', 'msgraph_core', 'azure'))\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
