"""Every module of the house imports: a name moved or removed shows here, not first in a
subprocess of an end-to-end test."""

import importlib
import pkgutil

import pytest

PACKAGES = ["domain", "infra", "projections", "handlers", "audit", "streams", "api", "simulator",
            "northstar_cli"]  # fmt: skip


def modules() -> list[str]:
    found = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        found += [m.name for m in pkgutil.walk_packages(package.__path__, f"{name}.")]
    return found


@pytest.mark.parametrize("module", modules())
def test_module_imports(module):
    importlib.import_module(module)
