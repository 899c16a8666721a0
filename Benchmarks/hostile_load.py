#!/usr/bin/env python3
"""Hostile load against a running clientid-server (127.0.0.1 only, bounded in time).

1,000 connections held open (half idle, half "slow": one byte every 2 s of a command
that never ends), a flood client that reconnects and blasts pipelined junk as fast as
it can, and a well-behaved client whose whole session (greeting, EHLO, MAIL, RCPT,
DATA, QUIT) is timed again and again. Prints the well-behaved latency percentiles and
the server's memory (from /proc) per 1,000 connections; exits 1 when p99 is over the
stated limit.

Usage: hostile_load.py PORT SERVER_PID [--connections 1000] [--seconds 30] [--p99-limit-ms 250]
"""
import argparse
import asyncio
import time


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


async def read_reply(reader):
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return line


async def held(port, i, stop, stats):
    """An idle (even i) or slow (odd i) connection, kept open until stop."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        greeting = await read_reply(reader)
        if not greeting.startswith(b"220"):
            stats["refused"] += 1
            writer.close()
            return
        stats["open"] += 1
        text = b"MAIL FROM:<slow-%d@example.net>" % i
        n = 0
        while not stop.is_set():
            if i % 2:
                writer.write(text[n % len(text):n % len(text) + 1])
                await writer.drain()
                n += 1
            try:
                await asyncio.wait_for(stop.wait(), 2)
            except asyncio.TimeoutError:
                pass
        stats["alive_at_end"] += 1
        writer.close()
    except (OSError, ConnectionError):
        stats["dropped"] += 1


async def flood(port, stop, stats):
    """Reconnects and sends pipelined junk and garbage as fast as the server reads it."""
    burst = b"NOOP\r\n" * 200 + b"BOGUS command\r\n" * 20 + b"x" * 20000 + b"\r\n"
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            stats["flood_connections"] += 1
            await read_reply(reader)
            # Every other time without waiting for the EHLO reply (a synchronization error).
            if stats["flood_connections"] % 2:
                writer.write(b"EHLO flood.example.net\r\n")
                await read_reply(reader)
                writer.write(burst)
            else:
                writer.write(b"EHLO flood.example.net\r\n" + burst)
            await writer.drain()
            stats["flood_bytes"] += len(burst)
            while await reader.read(65536):
                pass
            writer.close()
        except (OSError, ConnectionError):
            await asyncio.sleep(0.01)


async def well_behaved(port, stop, latencies):
    body = b"Subject: load\r\n\r\n" + b"line of a small message\r\n" * 20 + b".\r\n"
    while not stop.is_set():
        start = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert (await read_reply(reader)).startswith(b"220")
            for line, code in [(b"EHLO good.example.net", b"250"), (b"MAIL FROM:<good@example.net>", b"250"),
                               (b"RCPT TO:<someone@example.com>", b"250"), (b"DATA", b"354")]:
                writer.write(line + b"\r\n")
                reply = await read_reply(reader)
                assert reply.startswith(code), reply
            writer.write(body)
            assert (await read_reply(reader)).startswith(b"250")
            writer.write(b"QUIT\r\n")
            assert (await read_reply(reader)).startswith(b"221")
            writer.close()
            latencies.append(time.monotonic() - start)
        except (OSError, ConnectionError, AssertionError) as e:
            latencies.append(float("inf"))
            print("well-behaved session failed:", repr(e), flush=True)
        await asyncio.sleep(0.05)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("pid", type=int)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--p99-limit-ms", type=float, default=250)
    args = parser.parse_args()

    stop = asyncio.Event()
    stats = {"open": 0, "refused": 0, "dropped": 0, "alive_at_end": 0, "flood_connections": 0, "flood_bytes": 0}
    base = rss_kib(args.pid, "VmRSS")
    tasks = []
    for i in range(args.connections):
        tasks.append(asyncio.create_task(held(args.port, i, stop, stats)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)  # stays under the listen backlog
    for _ in range(100):
        if stats["open"] + stats["refused"] + stats["dropped"] >= args.connections:
            break
        await asyncio.sleep(0.1)
    held_rss = rss_kib(args.pid, "VmRSS")
    print(f"held connections: {stats['open']} open, {stats['refused']} refused, {stats['dropped']} dropped", flush=True)

    latencies = []
    tasks.append(asyncio.create_task(flood(args.port, stop, stats)))
    tasks.append(asyncio.create_task(well_behaved(args.port, stop, latencies)))
    await asyncio.sleep(args.seconds)
    stop.set()
    await asyncio.wait(tasks, timeout=15)
    peak = rss_kib(args.pid, "VmHWM")

    ok = [x for x in latencies if x != float("inf")]
    failed = len(latencies) - len(ok)
    print(f"flood: {stats['flood_connections']} connections, {stats['flood_bytes'] / 1e6:.1f} MB of junk sent")
    print(f"held connections still open at the end: {stats['alive_at_end']} of {stats['open']}")
    if not ok:
        print("no well-behaved session completed")
        return 1
    p50, p99 = percentile(ok, 50) * 1000, percentile(ok, 99) * 1000
    print(f"well-behaved sessions (connect, EHLO, MAIL, RCPT, DATA, QUIT): {len(ok)} completed, {failed} failed")
    print(f"  latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(ok) * 1000:.1f} ms (limit p99 {args.p99_limit_ms:.0f} ms)")
    per_thousand = (held_rss - base) * 1000 / max(stats["open"], 1) / 1024
    print(f"server memory: {base / 1024:.1f} MiB idle, {held_rss / 1024:.1f} MiB with {stats['open']} held connections "
          f"({per_thousand:.1f} MiB per 1,000 connections), peak {peak / 1024:.1f} MiB")
    return 0 if failed == 0 and p99 <= args.p99_limit_ms and stats["open"] == args.connections else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
