"""The layers' boundaries, read from the code with ast: transaction failures are read only in the storage
layer, domain packages import no other domain's repository, the packages form no import cycle and follow one
dependency order, and the kernel imports no domain."""

from __future__ import annotations

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2] / "chalicelib"
#: Packages every layer may use: the storage adapter and the HTTP plumbing hold no domain.
SHARED = {"storage", "api", "auth"}


def _modules() -> list[tuple[pathlib.Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(ROOT.rglob("*.py"))]


def _imported(node: ast.AST) -> list[str]:
    """The chalicelib modules an import statement names (`from chalicelib.x import y` names chalicelib.x.y)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("chalicelib.")]
    if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chalicelib"):
        if node.module.count(".") <= 1:
            return [f"{node.module}.{a.name}" for a in node.names]
        return [node.module]
    return []


def package_graph() -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    """Edges between chalicelib's packages, and every (module, repository) import across packages."""
    edges: dict[str, set[str]] = {}
    foreign_repositories: list[tuple[str, str]] = []
    for path, tree in _modules():
        relative = path.relative_to(ROOT)
        if len(relative.parts) < 2:
            continue
        package = relative.parts[0]
        for node in ast.walk(tree):
            for name in _imported(node):
                parts = name.split(".")
                if len(parts) < 2 or not (ROOT / parts[1]).is_dir() or parts[1] == package:
                    continue
                edges.setdefault(package, set()).add(parts[1])
                if len(parts) > 2 and parts[2] == "repository":
                    foreign_repositories.append((str(relative), name))
    return edges, foreign_repositories


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_graph_finds_a_cycle_and_a_foreign_repository() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_transaction_failures_are_read_by_name_never_by_position_outside_storage() -> None:
    """Table.transact raises the error an action names for its condition; nobody indexes cancellation reasons."""
    by_position = re.compile(r"\breasons\s*\[")
    offenders = [str(path.relative_to(ROOT)) for path, _ in _modules()
                 if path.relative_to(ROOT).parts[0] != "storage" and by_position.search(path.read_text())]
    assert offenders == []


def test_no_domain_imports_another_domains_repository() -> None:
    _, foreign = package_graph()
    assert [(module, name) for module, name in foreign if name.split(".")[1] not in SHARED] == []


def test_the_packages_form_no_import_cycle() -> None:
    edges, _ = package_graph()
    assert cycles(edges) == []


#: The dependency order (README: Code layout): a package imports only packages before it. A new package
#: takes its place here, which says where it stands.
ORDER = [
    "storage", "auth", "api",
    "limits", "activity", "audit", "accounts", "webhooks", "jobs", "locallogin", "users",
    "attributes", "groups", "templates",
    "customers",
    "files", "links",
    "events", "portal", "intake", "approvals", "customer_portal", "exports", "bulk", "console",
    "lifecycle", "reconcile", "workers",
]


def test_every_package_imports_only_packages_before_it_in_the_dependency_order() -> None:
    edges, _ = package_graph()
    packages = sorted(path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file())
    assert sorted(ORDER) == packages, "place each package in ORDER"
    assert upward_imports(edges) == []


def upward_imports(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((package, other) for package, others in edges.items() for other in others
                  if ORDER.index(other) > ORDER.index(package))


def test_the_order_check_sees_an_upward_import() -> None:
    assert upward_imports({"accounts": {"storage"}, "api": {"auth"}, "storage": {"customers"}}) == [
        ("storage", "customers")]


def test_the_shared_kernel_imports_no_domain() -> None:
    """chalicelib's top-level modules (errors, clock, mail, races, …) sit below every domain: they may use only
    storage and the rate limits (mail is limited per account and address)."""
    kernel = list(ROOT.glob("*.py"))
    reached = sorted({(path.name, name.split(".")[1]) for path in kernel
                      for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) for name in _imported(node)
                      if (ROOT / name.split(".")[1]).is_dir() and name.split(".")[1] not in {"storage", "limits"}})
    assert reached == []
