"""A stand-in for the `relay queue ...` CLI written with the Python bullmq package.

It implements the same command line and output as the Swift CLI so the interop suite can be checked against BullMQ
itself: `RELAY_BIN=Tests/interop/reference_relay.py .venv/bin/python -m pytest Tests/interop -q`. Whatever passes here
is BullMQ behaviour the Swift side must reproduce. Not used by bin/test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bullmq import Queue, Worker  # noqa: E402

from harness import HANDLERS, connection_opts, finished_line  # noqa: E402


def emit(obj) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def cmd_work(args, conn) -> int:
    done = asyncio.Event()
    finished = 0
    opts = {"connection": conn, "prefix": args.prefix, "drainDelay": 1}
    for key, value in (("concurrency", args.concurrency), ("lockDuration", args.lock_duration),
                       ("stalledInterval", args.stalled_interval), ("maxStalledCount", args.max_stalled_count)):
        if value is not None:
            opts[key] = value

    def count_one():
        nonlocal finished
        finished += 1
        if args.exit_after is not None and finished >= args.exit_after:
            done.set()

    def on_completed(job, result):
        emit(finished_line(job, result))
        count_one()

    def on_failed(job, err):
        line = finished_line(job, err=err)
        emit(line)
        if line["status"] == "failed":
            count_one()

    worker = Worker(args.queue, HANDLERS[args.handler], opts)
    worker.on("completed", on_completed)
    worker.on("failed", on_failed)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, done.set)
    loop.add_signal_handler(signal.SIGINT, done.set)
    await done.wait()
    await worker.close()
    return 0


async def main() -> int:
    parser = argparse.ArgumentParser(prog="relay")
    top = parser.add_subparsers(dest="group", required=True)
    queue = top.add_parser("queue")
    sub = queue.add_subparsers(dest="cmd", required=True)

    def command(name):
        p = sub.add_parser(name)
        p.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"))
        p.add_argument("--prefix", default="bull")
        p.add_argument("queue")
        return p

    p = command("add")
    p.add_argument("name")
    p.add_argument("--data", default="null")
    p.add_argument("--opts", default="{}")
    p = command("work")
    p.add_argument("--handler", required=True, choices=sorted(HANDLERS))
    p.add_argument("--concurrency", type=int)
    p.add_argument("--lock-duration", type=int)
    p.add_argument("--stalled-interval", type=int)
    p.add_argument("--max-stalled-count", type=int)
    p.add_argument("--exit-after", type=int)
    command("counts")
    command("pause")
    command("resume")
    p = command("drain")
    p.add_argument("--delayed", action="store_true")
    p = command("clean")
    p.add_argument("--grace", type=int, required=True)
    p.add_argument("--limit", type=int, required=True)
    p.add_argument("--state", required=True)
    p = command("obliterate")
    p.add_argument("--force", action="store_true")
    p = command("retry")
    p.add_argument("--state", default="failed")
    p.add_argument("--count", type=int)
    p = command("promote")
    p.add_argument("--count", type=int)
    args = parser.parse_args()

    conn = connection_opts(args.redis)
    if args.cmd == "work":
        return await cmd_work(args, conn)

    q = Queue(args.queue, {"connection": conn, "prefix": args.prefix})
    try:
        if args.cmd == "add":
            job = await q.add(args.name, json.loads(args.data), json.loads(args.opts))
            print(job.id)
        elif args.cmd == "counts":
            counts = await q.getJobCounts()
            counts.update(await q.getJobCounts("paused"))
            emit(counts)
        elif args.cmd == "pause":
            await q.pause()
        elif args.cmd == "resume":
            await q.resume()
        elif args.cmd == "drain":
            await q.drain(args.delayed)
        elif args.cmd == "clean":
            emit(await q.clean(args.grace, args.limit, args.state))
        elif args.cmd == "obliterate":
            await q.obliterate(args.force)
        elif args.cmd == "retry":
            opts = {"state": args.state}
            if args.count is not None:
                opts["count"] = args.count
            await q.retryJobs(opts)
        elif args.cmd == "promote":
            opts = {}
            if args.count is not None:
                opts["count"] = args.count
            await q.promoteJobs(opts)
    finally:
        await q.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except Exception as err:  # noqa: BLE001
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
