"""The default anomalies planted for the streaming detectors.

Three situations a live monitor of the outreach platform must catch, all on one day
(the last simulated day unless ``anomaly_day`` says otherwise) so that the earlier days
serve as a clean history:

* ``connection_drop``: from 14:00 the AI voice calls of the most populous district are
  answered ten times less often, as when a carrier marks the centre's numbers as spam;
* ``victim_surge``: from 10:00 to 13:00 leads about fake customer service are eight
  times as likely to have lost money, as when a new script spreads;
* ``volume_spike``: from 20:00 to 21:00 a runaway publicity task in another city's
  biggest county redials the same citizens, adding five times the normal volume.

The generator applies them (see :mod:`.attempts` and :mod:`.runaway`) and the ground
truth reports each with its segment, window, planted factor and measured effect.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from scamlens.simulate.config import AnomalySpec, SimConfig
from scamlens.simulate.geography import County

__all__ = ["ANOMALY_KINDS", "DESCRIPTIONS", "default_plan"]

logger = logging.getLogger(__name__)

ANOMALY_KINDS: tuple[str, ...] = ("connection_drop", "victim_surge", "volume_spike")

DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "connection_drop": (
        "语音外呼接通率骤降（号码被标记为骚扰）",
        "Voice connection rate collapses (numbers marked as spam)",
    ),
    "victim_surge": (
        "某类诈骗被骗报告激增",
        "Surge of victim reports for one fraud type",
    ),
    "volume_spike": (
        "失控任务重复拨打导致外呼量激增",
        "Volume spike from a runaway dialling task",
    ),
}


def default_plan(
    config: SimConfig, counties: tuple[County, ...]
) -> tuple[AnomalySpec, ...]:
    """The three default anomalies for ``config``, placed on its anomaly day."""
    day = config.days - 1 if config.anomaly_day is None else config.anomaly_day
    midnight = config.period_start + timedelta(days=day)
    by_size = sorted(counties, key=lambda c: (-c.population, c.code))
    drop = by_size[0]
    spike = next((c for c in by_size if c.city != drop.city), by_size[-1])
    hour = timedelta(hours=1)
    return (
        AnomalySpec(
            "connection_drop",
            (("region_code", drop.code), ("channel", "voice")),
            midnight + 14 * hour,
            midnight + 24 * hour,
            0.1,
        ),
        AnomalySpec(
            "victim_surge",
            (("fraud_type", "fake_customer_service"),),
            midnight + 10 * hour,
            midnight + 13 * hour,
            8.0,
        ),
        AnomalySpec(
            "volume_spike",
            (
                ("region_code", spike.code),
                ("channel", "voice"),
                ("module", "publicity"),
            ),
            midnight + 20 * hour,
            midnight + 21 * hour,
            5.0,
        ),
    )
