"""The load generator of bench.sse, in a process of its own so it does not starve the latency
probe: N SSE clients on plain sockets (HTTP/1.1, chunked), each recording the alert ids it
receives. Writes READY when every client is subscribed; on SIGTERM writes the ids to OUT.

    python -m bench.sse_clients --port P --tokens T1,T2 --clients N --ready FILE --out FILE
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path


async def _client(port: int, token: str, ids: list[str], subscribed: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
    writer.write(
        (
            "GET /v1/alerts/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
    )
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"subscription refused: {status!r}")
    while (await reader.readline()).strip():
        pass  # headers
    pending = b""
    while True:
        size = int((await reader.readline()).strip() or b"0", 16)  # chunked encoding
        if size == 0:
            return
        pending += await reader.readexactly(size)
        await reader.readexactly(2)
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.startswith(b"id: "):
                ids.append(line[4:].decode())
            elif line.startswith(b": subscribed"):
                subscribed.set()


async def _main(args: argparse.Namespace) -> None:
    tokens = args.tokens.split(",")
    received: list[list[str]] = [[] for _ in range(args.clients)]
    subscribed = [asyncio.Event() for _ in range(args.clients)]
    tasks = []
    for n in range(args.clients):
        tasks.append(
            asyncio.create_task(
                _client(args.port, tokens[n % len(tokens)], received[n], subscribed[n])
            )
        )
        if n % 50 == 49:
            await asyncio.sleep(0.05)  # connect in waves, as browsers would
    await asyncio.gather(*(s.wait() for s in subscribed))
    await asyncio.to_thread(Path(args.ready).write_text, "ready")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for task in tasks:
        task.cancel()
    failed = [repr(r) for r in await asyncio.gather(*tasks, return_exceptions=True) if r]
    failed = [f for f in failed if "CancelledError" not in f]
    document = json.dumps({"received": received, "failed": failed[:10]})
    await asyncio.to_thread(Path(args.out).write_text, document)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--out", required=True)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
