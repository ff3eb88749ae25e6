"""docs/reference/settings.md, generated from `infra.settings.Settings`: every variable, its default
and what it does (a unit test fails when the file is stale; `northstar contracts` rewrites it)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from infra.settings import REPO_ROOT, Settings

SETTINGS_DOC = REPO_ROOT / "docs" / "reference" / "settings.md"


def _default(name: str) -> str:
    value = Settings.model_fields[name].default
    if value is None or value == "":
        return "—"
    if isinstance(value, SecretStr):
        return "(a development password; set your own)"
    if isinstance(value, Path):
        value = value.relative_to(REPO_ROOT) if value.is_relative_to(REPO_ROOT) else value
        return f"`./{value}`"
    return f"`{value}`"


def settings_markdown() -> str:
    rows = [
        f"| `NORTHSTAR_{name.upper()}` | {_default(name)} | {field.description} |"
        for name, field in Settings.model_fields.items()
    ]
    return "\n".join(
        [
            "# Settings",
            "",
            "Every setting is an environment variable (generated from `infra/settings.py` by",
            "`northstar contracts`; a test fails when this page is stale). Servers bind to",
            "127.0.0.1 unless told otherwise.",
            "",
            "| variable | default | what it does |",
            "| --- | --- | --- |",
            *(row.replace("\n", " ") for row in rows),
            "",
        ]
    )


def write_settings_doc() -> Path:
    SETTINGS_DOC.write_text(settings_markdown())
    return SETTINGS_DOC
