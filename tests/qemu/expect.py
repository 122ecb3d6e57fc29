#!/usr/bin/env python3
"""Run a command (usually tools/run), then check its exit status and output.

  expect.py [--status N] [--expect REGEX]... [--reject REGEX]... [--timeout S] -- COMMAND...

Every --expect regex must match somewhere in the combined stdout+stderr, no --reject regex may. On failure the
last console lines are shown, so a failing ctest says why.
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

try:
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       timeout=opts.timeout)
    out, status = p.stdout.decode(errors="replace").replace("\r", ""), p.returncode
except subprocess.TimeoutExpired as e:
    out, status = (e.stdout or b"").decode(errors="replace"), "timeout"

problems = []
if status != opts.status:
    problems.append(f"exit status {status}, expected {opts.status}")
for rx in opts.expect:
    if not re.search(rx, out, re.M):
        problems.append(f"output lacks /{rx}/")
for rx in opts.reject:
    if re.search(rx, out, re.M):
        problems.append(f"output has /{rx}/")
if problems:
    print("FAILED: " + "; ".join(problems))
    print("command: " + " ".join(cmd))
    print("---- last output lines ----")
    print("\n".join(out.splitlines()[-40:]))
    sys.exit(1)
print("ok: " + " ".join(cmd))
