"""Never-ending sources for ``scamlens stream``: JetStream, a polled table, a folder."""

from scamlens.streaming.sources.base import Pulled, StreamSource
from scamlens.streaming.sources.folder import FolderSource
from scamlens.streaming.sources.jetstream import JetStreamSource
from scamlens.streaming.sources.table import TablePollSource

__all__ = [
    "FolderSource",
    "JetStreamSource",
    "Pulled",
    "StreamSource",
    "TablePollSource",
]
