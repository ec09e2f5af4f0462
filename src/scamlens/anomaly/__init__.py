"""Anomaly detection over closed windows of outreach indicators, and alert delivery.

Windows of counts per segment close in the streaming engine (or come from the batch
layer); each is compared with the same segment's baseline by statistical tests that
account for the sample size, false discoveries are controlled across segments with
Benjamini-Hochberg, and what is both significant and large enough becomes an alert
with a plain-language message in Chinese and English. See ``docs/anomaly.md``.
"""

from scamlens.anomaly.alerts import alert_id, severity_of
from scamlens.anomaly.baseline import RATE_PAIRS, baseline_columns, compute_baselines
from scamlens.anomaly.config import (
    COUNT_COLUMNS,
    DIMENSIONS,
    GRAIN_SECONDS,
    BaselineConfig,
    DetectionConfig,
)
from scamlens.anomaly.detectors import (
    CountSurgeDetector,
    Detector,
    Evaluation,
    RateDropDetector,
    RateSurgeDetector,
    SegmentData,
    SuccessRateDrop,
    VictimCountSurge,
    VictimRateSurge,
    VolumeSpike,
    default_detectors,
)
from scamlens.anomaly.engine import AnomalyEngine, WindowSets
from scamlens.anomaly.fdr import bh_qvalues, bh_qvalues_grouped, bh_reject
from scamlens.anomaly.frame import normalise_windows, segment_dims, segment_json
from scamlens.anomaly.messages import describe_segment, render_message
from scamlens.anomaly.sinks import (
    AlertSink,
    LogSink,
    NatsSink,
    WarehouseSink,
    WebhookSink,
    sinks_from_settings,
)
from scamlens.anomaly.state import (
    HISTORY_TABLE,
    ensure_state_tables,
    load_history,
    prune_history,
    save_windows,
)

__all__ = [
    "COUNT_COLUMNS",
    "DIMENSIONS",
    "GRAIN_SECONDS",
    "HISTORY_TABLE",
    "RATE_PAIRS",
    "AlertSink",
    "AnomalyEngine",
    "BaselineConfig",
    "CountSurgeDetector",
    "DetectionConfig",
    "Detector",
    "Evaluation",
    "LogSink",
    "NatsSink",
    "RateDropDetector",
    "RateSurgeDetector",
    "SegmentData",
    "SuccessRateDrop",
    "VictimCountSurge",
    "VictimRateSurge",
    "VolumeSpike",
    "WarehouseSink",
    "WebhookSink",
    "WindowSets",
    "alert_id",
    "baseline_columns",
    "bh_qvalues",
    "bh_qvalues_grouped",
    "bh_reject",
    "compute_baselines",
    "default_detectors",
    "describe_segment",
    "ensure_state_tables",
    "load_history",
    "normalise_windows",
    "prune_history",
    "render_message",
    "save_windows",
    "segment_dims",
    "segment_json",
    "severity_of",
    "sinks_from_settings",
]
