"""Dependencies point one way: the ground floor (artguard/) imports no app, and an app imports
only apps below it. Read from the source with ast, so lazy imports inside functions count too."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GROUND = "artguard"
# Bottom to top. The demo bootstrap drives datasets and training, so it sits above them all.
APPS = ("accounts", "datasets", "training", "detection", "demo")
LAYERS = (GROUND, *APPS)


def imported_modules(source: str, *, module: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in `source`, including relative ones and
    `import_module("...")` calls with a literal name."""
    package = module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module
            found.append((node.lineno, name))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def layering_violations(sources: dict[str, str]) -> list[str]:
    """`sources` maps dotted module names to their code; returns one line per import that points
    down-to-up (or from the ground to any app)."""
    rank = {layer: index for index, layer in enumerate(LAYERS)}
    violations = []
    for module, source in sorted(sources.items()):
        own = module.split(".")[0]
        for line, name in imported_modules(source, module=module):
            target = name.split(".")[0]
            if target == own or target not in rank:
                continue
            if own == GROUND or rank[target] > rank[own]:
                violations.append(f"{module}:{line} imports {name}")
    return violations


def project_sources() -> dict[str, str]:
    sources = {}
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            sources[".".join(parts)] = path.read_text()
    return sources


def test_dependencies_point_one_way():
    sources = project_sources()
    assert {name.split(".")[0] for name in sources} == set(LAYERS)  # every layer was read
    assert layering_violations(sources) == []


@pytest.mark.parametrize(
    ("module", "source", "reported"),
    [
        ("artguard.dynamo", "from accounts.tables import UserRecord", "artguard.dynamo:1 imports accounts.tables"),
        ("artguard.provisioning", "def f():\n    import detection.tables\n", "artguard.provisioning:2 imports detection.tables"),
        ("accounts.erasure", "from detection.tables import InferenceRecord", "accounts.erasure:1 imports detection.tables"),
        ("datasets.services", "from training import services", "datasets.services:1 imports training"),
        ("detection.views", "from demo.bootstrap import DemoPlan", "detection.views:1 imports demo.bootstrap"),
        ("training.ml.cv", "import importlib\nimportlib.import_module('detection.services')", "training.ml.cv:2 imports detection.services"),
        ("accounts.sub.mod", "from ...detection import selectors", "accounts.sub.mod:1 imports detection"),
    ],
)
def test_an_upward_import_is_reported(module, source, reported):
    assert layering_violations({module: source}) == [reported]


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("detection.services", "from datasets.imaging import preprocess\nfrom accounts import erasers"),
        ("demo.bootstrap", "from training import services"),
        ("accounts.erasure", "from artguard.storage import raw_storage\nfrom . import services"),
        ("artguard.dynamo", "from django.conf import settings\nimport artguard.env"),
    ],
)
def test_a_downward_or_own_import_is_allowed(module, source):
    assert layering_violations({module: source}) == []


def test_no_service_or_task_depends_on_web_middleware():
    """Services and tasks read outages from artguard.outages, the ground floor (issue 30)."""
    sources = project_sources()
    writers = {module: source for module, source in sources.items()
               if any(part in ("services", "tasks") for part in module.split(".")[1:])}
    assert "detection.services.submission" in writers and "training.services" in writers
    assert [f"{module}:{line}" for module, source in sorted(writers.items())
            for line, name in imported_modules(source, module=module) if name == "artguard.middleware"] == []
