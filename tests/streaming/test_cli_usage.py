"""``scamlens stream`` refuses option values that would hang it or mean nothing."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--until-idle", "-1", "--until-idle is `-1.0`; it must be a number 0 or more"),
        # nan compares false with everything: the consumer would never go idle.
        ("--until-idle", "nan", "--until-idle is `nan`"),
        ("--poll-seconds", "0", "--poll-seconds is `0.0`; it must be a number above 0"),
        ("--batch-seconds", "inf", "--batch-seconds is `inf`"),
        ("--speed", "-2", "--speed is `-2.0`"),
    ],
)
def test_bad_seconds_are_usage_errors(
    cli, tmp_path: Path, option: str, value: str, needle: str
) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    result = cli("stream", "--source", str(landing), option, value)
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0]


def test_until_idle_zero_stops_at_the_first_quiet_poll(cli, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    result = cli("stream", "--source", str(landing), "--until-idle", "0")
    assert result.exit_code == 0, result.stderr
    assert "0 records" in result.stderr
