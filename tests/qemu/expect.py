#!/usr/bin/env python3
"""Run a command (usually tools/run), then check its exit status and output.

  expect.py [--status N] [--expect REGEX]... [--reject REGEX]... [--timeout S] -- COMMAND...

Every --expect regex must match somewhere in stdout or stderr, no --reject regex may. (The two are read apart:
tools/run writes a program's output and the kernel's log lines to them from one console, and where the console
interleaves a log line with a line of the program's, a merged stream would cut that line in two.) On failure the
last output lines are shown, so a failing ctest says why.
"""
import argparse
import re
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--status", type=int, default=0)
ap.add_argument("--expect", action="append", default=[])
ap.add_argument("--reject", action="append", default=[])
ap.add_argument("--timeout", type=float, default=120)
ap.add_argument("command", nargs=argparse.REMAINDER)
opts = ap.parse_args()
cmd = opts.command[1:] if opts.command and opts.command[0] == "--" else opts.command

def text(data):
    return (data or b"").decode(errors="replace").replace("\r", "")


try:
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       timeout=opts.timeout)
    streams, status = [text(p.stdout), text(p.stderr)], p.returncode
except subprocess.TimeoutExpired as e:
    streams, status = [text(e.stdout), text(e.stderr)], "timeout"
out = "\n".join(s for s in streams if s)


def found(rx):
    return any(re.search(rx, s, re.M) for s in streams)


problems = []
if status != opts.status:
    problems.append(f"exit status {status}, expected {opts.status}")
for rx in opts.expect:
    if not found(rx):
        problems.append(f"output lacks /{rx}/")
for rx in opts.reject:
    if found(rx):
        problems.append(f"output has /{rx}/")
if problems:
    print("FAILED: " + "; ".join(problems))
    print("command: " + " ".join(cmd))
    print("---- last output lines ----")
    print("\n".join(out.splitlines()[-40:]))
    sys.exit(1)
print("ok: " + " ".join(cmd))
