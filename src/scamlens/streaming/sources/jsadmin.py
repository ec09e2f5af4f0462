"""JetStream administration for the consumer: the stream, the durable consumer.

Done once at start with nats-py (speed does not matter here). The durable consumer is
kept when its progress matches the sequence committed in the warehouse, and recreated
to deliver from that sequence + 1 otherwise: a crash between delivery and commit
leaves delivered-but-uncommitted messages that the server would only redeliver after
the acknowledgement timeout, behind newer ones, while read order decides which
version of a record wins.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import APIError, NotFoundError

from scamlens.errors import SourceUnreachable, UsageError

__all__ = [
    "ACK_POLICIES",
    "ConsumerSetup",
    "connect_nats",
    "default_stream_name",
    "ensure_stream",
    "prepare_consumer",
]

logger = logging.getLogger(__name__)

ACK_POLICIES = ("explicit", "all")
_ACK_WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class ConsumerSetup:
    """The stream read and its sequence range when the consumer was prepared."""

    stream: str
    first_seq: int
    last_seq: int


def default_stream_name(subject: str) -> str:
    """A stream name for ``subject``: upper case, dots and wildcards spelled out."""
    name = subject.replace(">", "ALL").replace("*", "ANY")
    return re.sub(r"[^A-Za-z0-9_-]", "_", name).upper()


_CONNECT_SECONDS = 5


async def _log_error(exc: Exception) -> None:
    # nats-py's default callback logs every failed attempt with a traceback.
    logger.debug("nats client error: %s", exc)


async def connect_nats(url: str) -> Any:
    """A nats-py connection that fails fast and never reconnects.

    One retry of the first connection, then :class:`SourceUnreachable`:
    ``max_reconnect_attempts=0`` would mean "retry forever" to nats-py's first
    connection loop.
    """
    try:
        return await nats.connect(
            url,
            connect_timeout=_CONNECT_SECONDS,
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.5,
            error_cb=_log_error,
        )
    except (OSError, nats.errors.NoServersError, TimeoutError) as exc:
        reason = str(exc) or f"no answer within {_CONNECT_SECONDS} s"
        raise SourceUnreachable(
            f"cannot connect to NATS at {url}: {reason}; check that the server runs "
            "and the address is right"
        ) from None


_NAMING = (
    "a subject is dot-separated tokens without spaces; stream and durable names "
    "have no spaces, dots, `*` or `>`"
)


def _refused(exc: Exception, what: str) -> UsageError:
    """A one-line error for a name or setting the server (or client) refuses."""
    detail = getattr(exc, "description", None) or str(exc)
    return UsageError(f"JetStream refused {what}: {detail}; {_NAMING}")


async def ensure_stream(js: Any, subject: str, stream: str | None) -> str:
    """The stream capturing ``subject``; created (file storage) if there is none."""
    try:
        return await _ensure_stream(js, subject, stream)
    except (APIError, ValueError) as exc:
        # ValueError: nats-py checks names before sending them
        named = f"subject `{subject}`" + (f" or stream `{stream}`" if stream else "")
        raise _refused(exc, named) from None


async def _ensure_stream(js: Any, subject: str, stream: str | None) -> str:
    try:
        found = await js.find_stream_name_by_subject(subject)
    except NotFoundError:
        found = None
    if found is not None:
        if stream and stream != found:
            raise UsageError(
                f"subject `{subject}` is captured by stream `{found}`, not `{stream}`; "
                "drop --stream or name that stream"
            )
        return str(found)
    name = stream or default_stream_name(subject)
    await js.add_stream(name=name, subjects=[subject])
    logger.info("created JetStream stream %s for subject %s", name, subject)
    return name


async def prepare_consumer(
    url: str,
    subject: str,
    stream: str | None,
    durable: str,
    ack: str,
    committed: int,
) -> ConsumerSetup:
    """Make sure the stream exists and ``durable`` delivers from ``committed`` + 1."""
    nc = await connect_nats(url)
    try:
        js = nc.jetstream()
        name = await ensure_stream(js, subject, stream)
        try:
            await _ensure_consumer(js, name, subject, durable, ack, committed)
        except (APIError, ValueError) as exc:
            raise _refused(exc, f"durable consumer `{durable}`") from None
        info = await js.stream_info(name)
        return ConsumerSetup(name, int(info.state.first_seq), int(info.state.last_seq))
    finally:
        await nc.close()


async def _ensure_consumer(
    js: Any, stream: str, subject: str, durable: str, ack: str, committed: int
) -> None:
    policy = AckPolicy.EXPLICIT if ack == "explicit" else AckPolicy.ALL
    try:
        info = await js.consumer_info(stream, durable)
    except NotFoundError:
        info = None
    if info is not None:
        delivered = info.delivered.stream_seq if info.delivered else 0
        matches = (
            info.config.filter_subject == subject
            and info.config.ack_policy == policy
            and not info.num_ack_pending
            and delivered == committed
        )
        if matches:
            return
        logger.info(
            "recreating consumer %s: delivered %d, unacknowledged %s, committed %d",
            durable,
            delivered,
            info.num_ack_pending,
            committed,
        )
        await js.delete_consumer(stream, durable)
    config = ConsumerConfig(
        durable_name=durable,
        ack_policy=policy,
        deliver_policy=(
            DeliverPolicy.BY_START_SEQUENCE if committed else DeliverPolicy.ALL
        ),
        opt_start_seq=committed + 1 if committed else None,
        filter_subject=subject,
        ack_wait=_ACK_WAIT_SECONDS,
        max_ack_pending=-1,
        max_waiting=16,
    )
    await js.add_consumer(stream, config)
