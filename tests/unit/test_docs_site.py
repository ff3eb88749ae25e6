"""The docs site lists every page it has: each decision record is in the records' index and in
the site's navigation, and every page of `docs/` is in the navigation (`mkdocs build --strict`
checks links and anchors, not that a page can be found)."""

from __future__ import annotations

import re

import yaml

from infra.settings import REPO_ROOT

DOCS = REPO_ROOT / "docs"


def nav_pages(node: object) -> set[str]:
    if isinstance(node, str):
        return {node}
    if isinstance(node, dict):
        return set().union(*(nav_pages(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(nav_pages(v) for v in node))
    return set()


def test_every_page_is_in_the_navigation():
    config = yaml.safe_load((REPO_ROOT / "mkdocs.yml").read_text())
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert nav_pages(config["nav"]) == pages


def test_every_decision_record_is_in_the_index():
    listed = set(re.findall(r"\]\((\d{4}-[^)]+\.md)\)", (DOCS / "adr" / "index.md").read_text()))
    assert listed == {p.name for p in (DOCS / "adr").glob("0*.md")}
