#!/usr/bin/env python3
"""Run one user test program on our kernel or on the Linux reference, and check it.

  user_test.py --build DIR --source user/tests/NAME.c --mode linux
      run under qemu-riscv64-static (Linux semantics); the test must exit with the expected status.
  user_test.py --build DIR --source user/tests/NAME.c --mode kernel --smp N
      run the reference first, then on our kernel with tools/run; the exit status must be the expected one
      and standard output identical to the reference's (unless the test says its output is nondeterministic).

Markers, in comment lines of the test source (" TEST: key=value" or " TEST: flag"):
  args=A B C               arguments
  stdin=TEXT               standard input (C escapes \n and \t allowed); empty by default
  mem=64M                  RAM for the kernel run (default 128M)
  timeout=S                seconds (default 60)
  status=N                 expected exit status (default 0)
  smp=1,4                  kernel runs only for these hart counts (default: every one asked for)
  kernel-only              no qemu-user run (the behaviour cannot be observed there); no output comparison
  kernel-skip=REASON       skip the kernel runs, saying why (a feature of a later issue); the reference runs
  nondeterministic-output  check the status only
  kernel-log=REGEX         the kernel log must have a line matching REGEX (Python syntax); may be repeated
Exit status 77 means "skipped" (ctest SKIP_RETURN_CODE).
"""
import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def markers(source):
    m = {"args": "", "mem": "128M", "timeout": "60", "status": "0", "smp": None, "kernel-log": []}
    flags = set()
    with open(source) as f:
        for line in f:
            hit = re.search(r"\bTEST:\s*(.*?)\s*(\*/)?\s*$", line)
            if not hit:
                continue
            item = hit.group(1)
            if "=" in item:
                k, v = item.split("=", 1)
                if k.strip() == "kernel-log":
                    m["kernel-log"].append(v.strip())
                else:
                    m[k.strip()] = v.strip()
            else:
                flags.add(item.strip())
    return m, flags


def run(cmd, timeout, env=None, stdin=b""):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, input=stdin,
                           timeout=timeout, env=env)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return "timeout", e.stdout or b"", e.stderr or b""


def show(title, data, limit=40):
    lines = data.decode(errors="replace").splitlines()
    print(f"---- {title} ({len(lines)} lines, last {min(limit, len(lines))}) ----")
    print("\n".join(lines[-limit:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--mode", choices=["linux", "kernel"], required=True)
    ap.add_argument("--smp", type=int, default=1)
    opts = ap.parse_args()

    name = os.path.splitext(os.path.basename(opts.source))[0]
    binary = os.path.join(opts.build, "user", "tests", name)
    m, flags = markers(opts.source)
    args = m["args"].split()
    stdin = m.get("stdin", "").replace("\\n", "\n").replace("\\t", "\t").encode()
    timeout = float(m["timeout"])
    want_status = int(m["status"])

    reference = None
    if "kernel-only" not in flags:
        env = dict(os.environ, TESTLIB_REFERENCE="qemu-user")
        status, out, err = run(["qemu-riscv64-static", binary] + args, timeout, env, stdin)
        if status != want_status:
            if opts.mode == "linux":
                print(f"FAILED under qemu-user: exit status {status}, expected {want_status}")
                show("stdout", out)
                show("stderr", err)
                return 1
            print(f"note: the qemu-user reference exited with {status}; not comparing output")
        else:
            reference = out
    if opts.mode == "linux":
        if "kernel-only" in flags:
            print("skipped: kernel-only test")
            return 77
        print(f"ok: {name} under qemu-user")
        return 0

    if m.get("kernel-skip"):
        print(f"skipped on the kernel: {m['kernel-skip']}")
        return 77
    if m["smp"] and str(opts.smp) not in m["smp"].split(","):
        print(f"skipped: {name} runs with smp={m['smp']}")
        return 77
    with tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False) as log:
        log_path = log.name
    cmd = [os.path.join(ROOT, "tools", "run"), "--build", opts.build, "--smp", str(opts.smp), "--mem", m["mem"],
           "--timeout", str(timeout), "--log", log_path, binary] + args
    status, out, err = run(cmd, timeout + 30, None, stdin)
    with open(log_path, "rb") as f:
        kernel_log = f.read()
    os.unlink(log_path)
    problems = []
    if status != want_status:
        problems.append(f"exit status {status}, expected {want_status}")
    if reference is not None and "nondeterministic-output" not in flags and out != reference:
        problems.append("standard output differs from the qemu-user reference")
    log_lines = kernel_log.decode(errors="replace").splitlines()
    for pattern in m["kernel-log"]:
        if not any(re.search(pattern, line) for line in log_lines):
            problems.append(f"no kernel log line matches {pattern!r}")
    if problems:
        print(f"FAILED: {name} on the kernel (smp={opts.smp}): " + "; ".join(problems))
        print("command: " + " ".join(cmd))
        if reference is not None and out != reference:
            diff = difflib.unified_diff(reference.decode(errors="replace").splitlines(),
                                        out.decode(errors="replace").splitlines(), "qemu-user", "kernel",
                                        lineterm="")
            print("\n".join(list(diff)[:60]))
        show("stdout", out)
        show("stderr", err)
        show("kernel log", kernel_log)
        return 1
    print(f"ok: {name} on the kernel (smp={opts.smp})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
