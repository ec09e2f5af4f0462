"""Helpers of the JetStream integration tests: publish, clean up, read results."""

from __future__ import annotations

import asyncio

import nats

URL = "nats://127.0.0.1:4222"


async def publish(subject: str, stream: str, bodies: list[str]) -> None:
    """Create ``stream`` on ``subject`` and publish ``bodies``, one message each;
    return once the server holds them all."""
    nc = await nats.connect(URL)
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=[subject])
    for body in bodies:
        await nc.publish(subject, body.encode())
    await nc.flush()
    info = await js.stream_info(stream)
    for _ in range(100):
        if info.state.messages >= len(bodies):
            break
        await asyncio.sleep(0.05)
        info = await js.stream_info(stream)
    assert info.state.messages == len(bodies)
    await nc.close()


async def delete_stream(stream: str) -> None:
    nc = await nats.connect(URL)
    try:
        await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()
