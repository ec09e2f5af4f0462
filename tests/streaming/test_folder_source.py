"""The landing folder keeps going past a file that breaks part-way."""

from __future__ import annotations

import gzip
from pathlib import Path

from scamlens.privacy.redact import Redactor
from scamlens.simulate import SimConfig, write
from scamlens.sources import file_source
from scamlens.streaming.sources.folder import FolderSource

from .conftest import KEY


def _records(path: Path) -> int:
    """Records the batch layer's reader makes of ``path``, malformed rows included."""
    return sum(t.num_rows for t in file_source(path).batches(None))


def test_a_file_broken_part_way_keeps_what_was_read_and_the_stream_goes_on(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "landing"
    folder.mkdir()
    write(SimConfig(days=1, per_day=300, seed=1), folder / "a.csv")
    big = tmp_path / "big.csv"
    write(SimConfig(days=1, per_day=30_000, seed=2), big)
    packed = gzip.compress(big.read_bytes())
    # Cut well past pyarrow's first 1 MB blocks: some records come out first.
    (folder / "b.csv.gz").write_bytes(packed[: len(packed) * 3 // 4])
    write(SimConfig(days=1, per_day=200, seed=3), folder / "c.csv")

    source = FolderSource(
        folder, redactor=Redactor(KEY), settle_seconds=0, poll_seconds=0
    )
    source.open(None)
    read, position, quiet = 0, {}, 0
    while quiet < 3:
        pulled = source.poll(1_000, 0)
        if pulled is None:
            quiet += 1
            continue
        read += pulled.records.num_rows if pulled.records is not None else 0
        position = pulled.position
    done = {d["name"]: d for d in position["done"]}
    assert list(done) == ["a.csv", "b.csv.gz", "c.csv"]
    broken = done["b.csv.gz"]
    assert "compressed" in broken["error"]
    assert 0 < broken["rows"] < _records(big)
    assert "error" not in done["a.csv"] and "error" not in done["c.csv"]
    whole = _records(folder / "a.csv") + _records(folder / "c.csv")
    assert read == whole + broken["rows"]
