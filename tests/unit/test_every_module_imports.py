"""Every module of the house imports: a name moved or removed shows here, not first in a
subprocess of an end-to-end test. One test: every module is tried and all failures named."""

import importlib
import pkgutil
import traceback

PACKAGES = ["domain", "infra", "projections", "handlers", "audit", "reports", "streams", "api",
            "simulator", "northstar_cli"]  # fmt: skip


def modules() -> list[str]:
    found = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        found += [m.name for m in pkgutil.walk_packages(package.__path__, f"{name}.")]
    return found


def test_every_module_imports():
    found = modules()
    failures = {}
    for module in found:
        try:
            importlib.import_module(module)
        except Exception:
            failures[module] = traceback.format_exc(limit=-3)
    assert len(found) > 100, found  # the walk found the house, not an empty list
    assert not failures, "\n".join(f"{m}:\n{tb}" for m, tb in failures.items())
