"""A stand-alone audit log writer for source tests, run as a real separate process.

It appends events like kube-apiserver's log backend (one write per event) and rotates the way
lumberjack does: rename ``audit.log`` to ``audit-<UTC time>.log`` and create a new
``audit.log``; optionally it compresses each backup afterwards (``.gz`` written next to the
plain backup, which is removed once the ``.gz`` is complete). Or it truncates in place, as
logrotate's copytruncate does.

    python logwriter.py PATH PREFIX COUNT [--every N] [--mode rename|copytruncate]
        [--compress] [--delay SECONDS] [--pieces] [--settle SECONDS]
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import time
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.sources.writers import timed_line  # noqa: E402


def backup_name(path: str, when: datetime) -> str:
    prefix, ext = os.path.splitext(path)
    return f"{prefix}-{when.strftime('%Y-%m-%dT%H-%M-%S.%f')[:-3]}{ext}"


def rotate(path: str, fd: int, compress: bool) -> int:
    os.close(fd)
    backup = backup_name(path, datetime.now(UTC))
    # Two rotations within one millisecond would reuse a name: the rename would replace the
    # plain backup, or the compression overwrite the earlier ``.gz``, losing its events.
    while os.path.exists(backup) or os.path.exists(backup + ".gz"):
        time.sleep(0.001)
        backup = backup_name(path, datetime.now(UTC))
    os.rename(path, backup)
    new_fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
    if compress:
        with open(backup, "rb") as plain, gzip.open(backup + ".gz", "wb") as packed:
            shutil.copyfileobj(plain, packed)
        os.remove(backup)
    return new_fd


def copytruncate(path: str, fd: int) -> int:
    shutil.copyfile(path, path + ".1")
    os.truncate(path, 0)
    return fd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("prefix")
    parser.add_argument("count", type=int)
    parser.add_argument("--every", type=int, default=0, help="rotate after this many events")
    parser.add_argument("--mode", choices=["rename", "copytruncate"], default="rename")
    parser.add_argument("--compress", action="store_true")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between events")
    parser.add_argument("--pieces", action="store_true", help="write each event in two parts")
    parser.add_argument("--settle", type=float, default=0.0, help="pause before each rotation")
    args = parser.parse_args()
    fd = os.open(args.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    for i in range(args.count):
        line = timed_line(f"{args.prefix}-{i}", i * 0.001)
        if args.pieces:
            os.write(fd, line[: len(line) // 2])
            time.sleep(args.delay / 2)
            os.write(fd, line[len(line) // 2 :])
        else:
            os.write(fd, line)
        if args.every and (i + 1) % args.every == 0 and i + 1 < args.count:
            time.sleep(args.settle)
            if args.mode == "rename":
                fd = rotate(args.path, fd, args.compress)
            else:
                fd = copytruncate(args.path, fd)
        if args.delay:
            time.sleep(args.delay)
    os.close(fd)


if __name__ == "__main__":
    main()
