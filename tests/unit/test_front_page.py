"""The README is the front page: short, and every link in it resolves (the site's own links are
checked by `mkdocs build --strict` in `make lint`)."""

from __future__ import annotations

import re

from infra.settings import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def test_the_readme_is_a_front_page():
    assert len(README.splitlines()) <= 200


def test_every_link_of_the_readme_resolves():
    links = re.findall(r"\]\(([^)]+)\)", README)
    assert links
    for link in links:
        if link.startswith(("http://", "https://")):
            continue
        path, _, anchor = link.partition("#")
        assert (REPO_ROOT / path).is_file(), link
        if anchor:
            headings = re.findall(r"^#+ (.+)$", (REPO_ROOT / path).read_text(), flags=re.M)
            slugs = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}
            assert anchor in slugs, link
