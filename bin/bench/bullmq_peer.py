"""The Python `bullmq` peer for `relay bench queue`: the same shapes Relay runs, measured the same way.

Prints one JSON object of figures on stdout. Usage:
    python bin/bench/bullmq_peer.py --redis redis://127.0.0.1:6379 --queue NAME --jobs 20000
"""
import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlparse

from bullmq import Queue, Worker


def connection(url):
    parsed = urlparse(url)
    options = {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 6379, "socket_timeout": None}
    if parsed.password:
        options["password"] = parsed.password
    if parsed.username:
        options["username"] = parsed.username
    if parsed.path and parsed.path != "/":
        options["db"] = int(parsed.path[1:])
    return options


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


async def cpu_seconds(queue):
    client = await queue.client
    info = await client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


TOP_LEVEL = {"cmdstat_evalsha", "cmdstat_eval", "cmdstat_bzpopmin", "cmdstat_client|id", "cmdstat_client|unblock"}


async def command_microseconds(queue):
    client = await queue.client
    stats = await client.info("commandstats")
    return sum(float(v["usec"]) for k, v in stats.items() if "cmdstat_" + k in TOP_LEVEL or k in TOP_LEVEL)


async def process_all(conn, name, jobs, concurrency):
    queue = Queue(name, {"connection": conn})
    await queue.obliterate(force=True)
    await queue.resume()
    for start in range(0, jobs, 1000):
        await queue.addBulk([{"name": "noop", "data": {}, "opts": {"removeOnComplete": True}}
                             for _ in range(start, min(jobs, start + 1000))])
    done = asyncio.Event()
    count = 0

    def completed(job, result):
        nonlocal count
        count += 1
        if count >= jobs:
            done.set()

    async def processor(job, token):
        return None

    cpu_before = await cpu_seconds(queue)
    commands_before = await command_microseconds(queue)
    started = time.perf_counter()
    worker = Worker(name, processor, {"connection": conn, "concurrency": concurrency, "drainDelay": 1})
    worker.on("completed", completed)
    await asyncio.wait_for(done.wait(), timeout=600)
    elapsed = time.perf_counter() - started
    cpu_after = await cpu_seconds(queue)
    commands_after = await command_microseconds(queue)
    await worker.close()
    await queue.obliterate(force=True)
    await queue.close()
    return jobs / elapsed, (cpu_after - cpu_before) * 1e6 / jobs, (commands_after - commands_before) / jobs


async def add_rates(conn, name, jobs):
    queue = Queue(name, {"connection": conn})
    await queue.obliterate(force=True)
    await queue.resume()
    single = max(1, jobs // 4)
    started = time.perf_counter()
    for _ in range(single):
        await queue.add("noop", {})
    single_rate = single / (time.perf_counter() - started)
    started = time.perf_counter()
    for start in range(0, jobs, 100):
        await queue.addBulk([{"name": "noop", "data": {}} for _ in range(start, min(jobs, start + 100))])
    bulk_rate = jobs / (time.perf_counter() - started)
    await queue.obliterate(force=True)
    await queue.close()
    return single_rate, bulk_rate


async def latency(conn, name, count, rate):
    queue = Queue(name, {"connection": conn})
    await queue.obliterate(force=True)
    await queue.resume()
    added = {}
    latencies = []
    done = asyncio.Event()

    def completed(job, result):
        latencies.append((time.perf_counter() - added[job.id]) * 1000)
        if len(latencies) >= count:
            done.set()

    async def processor(job, token):
        return None

    worker = Worker(name, processor, {"connection": conn, "concurrency": 10})
    worker.on("completed", completed)
    await asyncio.sleep(0.5)
    interval = 1.0 / rate
    next_at = time.perf_counter()
    for _ in range(count):
        next_at += interval
        stamp = time.perf_counter()
        job = await queue.add("noop", {})
        added[job.id] = stamp
        await asyncio.sleep(max(0, next_at - time.perf_counter()))
    await asyncio.wait_for(done.wait(), timeout=120)
    await worker.close()
    await queue.obliterate(force=True)
    await queue.close()
    return statistics.median(latencies), percentile(latencies, 0.99)


async def delayed_lateness(conn, name, count):
    queue = Queue(name, {"connection": conn})
    await queue.obliterate(force=True)
    await queue.resume()
    done = asyncio.Event()
    lateness = []

    def completed(job, result):
        lateness.append(job.processedOn - (job.timestamp + job.opts.get("delay", 0)))
        if len(lateness) >= count:
            done.set()

    async def processor(job, token):
        return None

    worker = Worker(name, processor, {"connection": conn, "concurrency": 10})
    worker.on("completed", completed)
    await asyncio.sleep(0.5)
    for index in range(count):
        await queue.add("later", {}, {"delay": 50 + (index * 37) % 500})
    await asyncio.wait_for(done.wait(), timeout=120)
    await worker.close()
    await queue.obliterate(force=True)
    await queue.close()
    return statistics.median(lateness), percentile(lateness, 0.99)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--latency-jobs", type=int, default=500)
    parser.add_argument("--delayed-jobs", type=int, default=100)
    args = parser.parse_args()
    conn = connection(args.redis)
    figures = {}
    figures["add_single"], figures["add_bulk"] = await add_rates(conn, args.queue, args.jobs)
    for concurrency in (1, 10, 100):
        rate, cpu, commands = await process_all(conn, args.queue, args.jobs, concurrency)
        figures[f"process_c{concurrency}"] = rate
        figures[f"redis_cpu_us_c{concurrency}"] = cpu
        figures[f"redis_cmd_us_c{concurrency}"] = commands
    figures["latency_p50_ms"], figures["latency_p99_ms"] = await latency(conn, args.queue, args.latency_jobs, 100)
    figures["delay_late_p50_ms"], figures["delay_late_p99_ms"] = await delayed_lateness(conn, args.queue, args.delayed_jobs)
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
