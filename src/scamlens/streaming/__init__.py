"""Streaming: live windowed indicators, exactly once, alerts as windows close.

Records arrive from JetStream, a polled database table or a landing folder
(:mod:`.sources`); each micro-batch is cleaned exactly as the batch layer would
(:mod:`.recompute`), folded into tumbling event-time windows (:mod:`.windows`,
:mod:`.apply`) and committed with the source position in one DuckDB transaction
(:mod:`.engine`); windows closed by the watermark go to anomaly detection
(:mod:`.closing`). See ``docs/streaming.md``.
"""

from scamlens.streaming.config import StreamConfig
from scamlens.streaming.decode import decode_json_messages, payload_texts
from scamlens.streaming.engine import BatchResult, MicroBatch, StreamEngine
from scamlens.streaming.live import live_counts, live_metrics
from scamlens.streaming.replay import ReplayResult, replay_file
from scamlens.streaming.runner import RunReport, run_stream
from scamlens.streaming.windows import (
    DEFAULT_SPECS,
    WindowSpec,
    parse_window_spec,
    window_bounds,
)

__all__ = [
    "DEFAULT_SPECS",
    "BatchResult",
    "MicroBatch",
    "ReplayResult",
    "RunReport",
    "StreamConfig",
    "StreamEngine",
    "WindowSpec",
    "decode_json_messages",
    "live_counts",
    "live_metrics",
    "parse_window_spec",
    "payload_texts",
    "replay_file",
    "run_stream",
    "window_bounds",
]
