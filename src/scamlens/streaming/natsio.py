"""A minimal NATS protocol client for pulling from a JetStream consumer, fast.

nats-py hands each message through asyncio futures and tasks, which caps a pull
consumer at about 15,000 messages per second here. Consuming only needs a small part
of the protocol: send ``CONNECT``, subscribe one inbox, publish pull requests and
acknowledgements, and split incoming ``MSG``/``HMSG`` frames. This module does just
that over a plain socket, parsing whole receive buffers at a time; stream and
consumer management stays with nats-py (see :mod:`.jetstream`).

Supported: plain TCP, optional user/password or token from the URL. Not supported:
TLS, NKEY/JWT credentials, reconnecting (a lost connection ends the run with an
error; restarting resumes exactly where the warehouse says).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import select
import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from scamlens.errors import SourceError, SourceUnreachable

__all__ = [
    "Frame",
    "NatsSocket",
    "ack_frames",
    "parse_frames",
    "status_code",
    "stream_pending",
    "stream_sequence",
]

logger = logging.getLogger(__name__)

_CRLF = b"\r\n"
_RECV = 1 << 20


@dataclass(slots=True)
class Frame:
    """One server operation: a message, or a control line (``op`` then)."""

    op: bytes
    subject: bytes = b""
    reply: bytes = b""
    headers: bytes = b""
    payload: bytes = b""


def parse_frames(buf: bytes, frames: list[Frame]) -> int:
    """Append every complete frame of ``buf`` to ``frames``; return bytes used.

    A frame is a protocol line, plus for ``MSG``/``HMSG`` its announced bytes and
    the closing CRLF. An incomplete frame at the end is left for the next call.
    """
    pos = 0
    size = len(buf)
    while pos < size:
        end = buf.find(_CRLF, pos)
        if end < 0:
            break
        line = buf[pos:end]
        if line.startswith(b"MSG "):
            parts = line.split(b" ")
            total = int(parts[-1])
            stop = end + 2 + total
            if stop + 2 > size:
                break
            reply = parts[3] if len(parts) == 5 else b""
            frames.append(Frame(b"MSG", parts[1], reply, b"", buf[end + 2 : stop]))
            pos = stop + 2
        elif line.startswith(b"HMSG "):
            parts = line.split(b" ")
            total = int(parts[-1])
            head = int(parts[-2])
            stop = end + 2 + total
            if stop + 2 > size:
                break
            reply = parts[3] if len(parts) == 6 else b""
            body = end + 2
            frames.append(
                Frame(
                    b"HMSG",
                    parts[1],
                    reply,
                    buf[body : body + head],
                    buf[body + head : stop],
                )
            )
            pos = stop + 2
        else:
            frames.append(Frame(line.split(b" ", 1)[0], payload=line))
            pos = end + 2
    return pos


def stream_sequence(reply: bytes) -> int:
    """The stream sequence carried by a JetStream ``$JS.ACK`` reply subject.

    Old form: ``$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>``;
    new form adds ``<domain>.<account hash>`` after ``ACK`` and a token at the end.
    """
    tokens = reply.split(b".")
    if len(tokens) == 9:
        return int(tokens[5])
    if len(tokens) >= 11:
        return int(tokens[7])
    raise SourceError(
        f"unexpected JetStream reply subject `{reply.decode(errors='replace')}`"
    )


def stream_pending(reply: bytes) -> int:
    """Messages left for the consumer after this one, from a ``$JS.ACK`` reply
    subject (see :func:`stream_sequence`); 0 when the subject does not say."""
    tokens = reply.split(b".")
    if len(tokens) == 9:
        return int(tokens[8])
    if len(tokens) >= 11:
        return int(tokens[10])
    return 0


def status_code(headers: bytes) -> int | None:
    """The status of a ``NATS/1.0 <code> <text>`` header block, if any."""
    if not headers.startswith(b"NATS/1.0"):
        return None
    first = headers.split(_CRLF, 1)[0].split(b" ")
    return int(first[1]) if len(first) > 1 and first[1].isdigit() else None


def ack_frames(replies: list[bytes]) -> bytes:
    """The protocol bytes acknowledging every message whose reply is in ``replies``."""
    return b"".join([b"PUB " + r + b" 4\r\n+ACK\r\n" for r in replies])


@dataclass
class _Url:
    host: str
    port: int
    user: str | None = None
    password: str | None = None
    token: str | None = None
    options: dict[str, object] = field(default_factory=dict)


def _parse_url(url: str) -> _Url:
    parts = urlsplit(url)
    if parts.scheme not in ("nats", "tcp"):
        raise SourceError(f"`{url}` is not a nats:// URL")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if user and password is None:
        return _Url(parts.hostname or "127.0.0.1", parts.port or 4222, token=user)
    return _Url(parts.hostname or "127.0.0.1", parts.port or 4222, user, password)


class NatsSocket:
    """One NATS connection: write frames, read frames in bulk on a thread's behalf."""

    def __init__(
        self, url: str, *, name: str = "scamlens-stream", timeout: float = 5.0
    ):
        self.url = url
        target = _parse_url(url)
        try:
            self.sock = socket.create_connection((target.host, target.port), timeout)
        except OSError as exc:
            raise SourceUnreachable(
                f"cannot connect to NATS at {target.host}:{target.port}: "
                f"{exc.strerror or exc}; check that the server runs"
            ) from None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._write_lock = threading.Lock()
        self._pending = b""
        self.read_timeout = 5.0
        self._handshake(target, name)
        # Writes block (acks for a big batch may exceed the socket buffer); reads
        # wait with select() so the reader thread can look up now and then.
        self.sock.settimeout(None)
        self.read_timeout = 0.2
        self.inbox_prefix = b"_INBOX.scamlens." + secrets.token_hex(8).encode()

    def _handshake(self, target: _Url, name: str) -> None:
        frames = self.read_frames()
        if not frames:
            raise SourceUnreachable(f"the NATS server at {self.url} sent no greeting")
        info = frames[0]
        if info.op != b"INFO":
            raise SourceError(f"NATS server at {self.url} did not greet with INFO")
        details = json.loads(info.payload[5:] or b"{}")
        if details.get("tls_required"):
            raise SourceError(f"NATS server at {self.url} requires TLS, not supported")
        connect: dict[str, object] = {
            "verbose": False,
            "pedantic": False,
            "headers": True,
            "no_responders": True,
            "protocol": 1,
            "lang": "python",
            "version": "scamlens",
            "name": name,
        }
        if target.token:
            connect["auth_token"] = target.token
        if target.user:
            connect["user"] = target.user
            connect["pass"] = target.password
        self.write(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        while True:
            frames = self.read_frames()
            if not frames:
                raise SourceUnreachable(f"the NATS server at {self.url} did not answer")
            for frame in frames:
                if frame.op == b"PONG":
                    return
                if frame.op == b"-ERR":
                    raise SourceError(
                        f"NATS server at {self.url} refused the connection: "
                        f"{frame.payload.decode(errors='replace')}"
                    )

    def write(self, data: bytes) -> None:
        """Send ``data`` (thread-safe)."""
        with self._write_lock:
            self.sock.sendall(data)

    def subscribe(self, subject: bytes, sid: int = 1) -> None:
        self.write(b"SUB " + subject + b" " + str(sid).encode() + _CRLF)

    def publish(self, subject: bytes, payload: bytes, reply: bytes = b"") -> None:
        head = b"PUB " + subject + (b" " + reply if reply else b"")
        self.write(head + b" " + str(len(payload)).encode() + _CRLF + payload + _CRLF)

    def readable(self) -> bool:
        """Whether data waits on the socket right now."""
        readable, _, _ = select.select([self.sock], [], [], 0)
        return bool(readable)

    def read_frames(self) -> list[Frame]:
        """Wait for data and return the complete frames received (maybe none).

        Returns an empty list when ``read_timeout`` passes without data. Server
        ``PING`` frames are answered here; an empty read means the server closed the
        connection.
        """
        readable, _, _ = select.select([self.sock], [], [], self.read_timeout)
        if not readable:
            return []
        chunk = self.sock.recv(_RECV)
        if not chunk:
            raise SourceError(f"the NATS server at {self.url} closed the connection")
        buf = self._pending + chunk if self._pending else chunk
        frames: list[Frame] = []
        used = parse_frames(buf, frames)
        self._pending = buf[used:]
        if any(f.op == b"PING" for f in frames):
            self.write(b"PONG\r\n")
        return frames

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
