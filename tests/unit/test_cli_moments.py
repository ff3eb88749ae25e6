"""Moments on the command line: ISO 8601 accepted in every form the commands document, and a
refusal that says what is accepted (not a list of strptime patterns)."""

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from northstar_cli.main import cli
from northstar_cli.params import MOMENT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-29", datetime(2026, 11, 29)),
        ("2026-11-29T18:00", datetime(2026, 11, 29, 18)),
        ("2026-11-29T18:00:00.250", datetime(2026, 11, 29, 18, 0, 0, 250_000)),
        ("2026-11-29T10:00:00+00:00", datetime(2026, 11, 29, 10, tzinfo=UTC)),
        ("2026-11-29T10:00:00Z", datetime(2026, 11, 29, 10, tzinfo=UTC)),
    ],
)
def test_iso_moments_are_read(text, expected):
    assert MOMENT.convert(text, None, None) == expected


@pytest.mark.parametrize("command", [["audit", "as-of"], ["audit", "history", "--since"]])
def test_a_word_is_refused_with_what_is_accepted(command):
    result = CliRunner().invoke(cli, [*command, "yesterday"])
    assert result.exit_code == 2
    assert "'yesterday' is not a moment: give an ISO 8601 date or date and time" in result.output
    assert "2026-11-29T18:00" in result.output
    assert "%Y" not in result.output
