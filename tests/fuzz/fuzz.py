#!/usr/bin/env python3
"""Drive the kernel's system-call fuzzer (user/fuzz) in QEMU, and judge the kernel by how the run ended.

  fuzz.py run --build DIR --smp N --seed S --calls N [--mem SIZE] [--timeout S] [-- FUZZ-ARGS...]
      one boot: the fuzzer makes N calls with seed S. It passes if the fuzzer finished and init's leak check
      found everything returned. A kernel panic, a hang (of the machine, or of a worker that SIGKILL cannot
      end), a leak or a memory corruption fails, and the command that replays the run is printed.
  fuzz.py soak --build DIR [--calls 10000000] [--per-boot 500000] [--smp 1,4] [--jobs J]
      many boots with random seeds until --calls calls were made; prints calls, panics, hangs, leaks and
      corruptions, and a replay command for each failure.
  fuzz.py run|soak ... --mem 48M --swap 64M -- --pressure 40
      the same under memory pressure: a process beside the workers rewrites 40 MiB, so that their memory goes to
      swap and back while they fuzz (and checks every page it gets back).
  fuzz.py check-table --source ROOT
      every system call of the kernel's table (kernel/syscall.cpp) has a line in the fuzzer's (user/fuzz/calls.c).

The fuzzer's own options (user/fuzz/main.c): --worker I --trace replays one worker alone and prints each call.
"""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# How a boot ended, from tools/run's exit status and the fuzzer's exit status (user/fuzz/main.c).
OUTCOMES = {0: "ok", 99: "panic", 124: "hang", 125: "leak", 3: "hang", 4: "corruption"}


class Run:
    def __init__(self, build, smp, mem, seed, calls, timeout, extra, kernel=None, swap=None):
        self.build, self.smp, self.mem, self.seed, self.calls = build, smp, mem, seed, calls
        self.timeout = timeout if timeout else 90 + calls / 1500
        self.extra, self.kernel, self.swap = extra, kernel, swap

    def program(self):
        return [os.path.join(self.build, "user", "fuzz", "fuzz"), "--seed", str(self.seed), "--calls",
                str(self.calls)] + self.extra

    def command(self, log=None):
        cmd = [os.path.join(ROOT, "tools", "run"), "--build", self.build, "--smp", str(self.smp), "--mem", self.mem,
               "--timeout", str(int(self.timeout))]
        if self.kernel:
            cmd += ["--kernel", self.kernel]
        if self.swap:
            cmd += ["--swap", self.swap]
        if log:
            cmd += ["--log", log]
        return cmd + self.program()

    def replay(self):
        def rel(path):
            return os.path.relpath(path, ROOT) if path.startswith(ROOT) else path
        return " ".join(rel(a) for a in self.command())

    def execute(self):
        """Boot once. Returns (outcome, calls, details, seconds)."""
        with tempfile.NamedTemporaryFile(prefix="fuzz-", suffix=".log", delete=False) as f:
            log_path = f.name
        start = time.monotonic()
        try:
            p = subprocess.run(self.command(log_path), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=self.timeout + 60)
            status, out, err = p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            status, out, err = 124, (e.stdout or b"").decode(errors="replace"), (e.stderr or b"").decode(errors="replace")
        seconds = time.monotonic() - start
        with open(log_path, "rb") as f:
            kernel_log = f.read().decode(errors="replace")
        os.unlink(log_path)
        result = re.findall(r"^fuzz-result: (.*)$", out, re.M)
        fields = dict(kv.split("=", 1) for kv in result[-1].split()) if result else {}
        calls = int(fields.get("calls", 0))
        outcome = OUTCOMES.get(status, "failure")
        if outcome == "ok" and not result:
            outcome = "failure"  # the fuzzer did not finish
        if outcome == "ok" and "KERNEL PANIC" in kernel_log:
            outcome = "panic"
        if outcome == "ok" and self.swap and "--pressure" in self.extra and int(fields.get("pswpout", 0)) == 0:
            outcome = "failure"  # the run was to page the workers' memory out and in, and nothing went to swap
            out += "\nfuzz: the pressure process never pushed a page to swap (make --pressure larger or --mem smaller)"
        details = describe(outcome, status, out, err, kernel_log)
        return outcome, calls, fields, details, seconds


def describe(outcome, status, out, err, kernel_log):
    """The lines worth showing for a failed boot."""
    lines = [f"exit status {status}"]
    for line in out.splitlines():
        if re.match(r"fuzz: (HANG|MEMORY CORRUPTION|cannot|the pressure|pressure:)", line):
            lines.append(line)
    started = re.findall(r"^fuzz: worker (\d+) \(pid (\d+)\)$", out, re.M)
    if started and outcome != "ok":
        last = ", ".join(w for w, _ in started[-4:])
        lines.append(f"the last workers started: {last} (replay one alone: add --worker I --trace)")
    lines += [l for l in err.splitlines() if l.startswith("init:")]
    if outcome in ("panic", "failure", "hang"):
        panic = kernel_log.split("KERNEL PANIC", 1)
        tail = ("KERNEL PANIC" + panic[1]).splitlines()[:40] if len(panic) > 1 else kernel_log.splitlines()[-25:]
        lines += ["kernel log:"] + ["  | " + l for l in tail]
        if outcome != "panic":
            lines += ["fuzzer output:"] + ["  | " + l for l in out.splitlines()[-15:]]
            lines += ["standard error:"] + ["  | " + l for l in err.splitlines()[-15:] if not l.startswith("init:")]
    return lines


def cmd_run(opts):
    run = Run(opts.build, opts.smp, opts.mem, opts.seed, opts.calls, opts.timeout, opts.fuzz_args, opts.kernel,
              opts.swap)
    outcome, calls, fields, details, seconds = run.execute()
    summary = (f"{calls} calls, {fields.get('workers', '?')} workers ({fields.get('signaled', '?')} killed by a "
               f"signal, {fields.get('stalled', '?')} stopped by the watchdog), {seconds:.1f} s")
    if opts.swap:
        summary += f", {fields.get('pswpout', '?')} pages swapped out and {fields.get('pswpin', '?')} in"
    if outcome == "ok":
        print(f"ok: fuzz smp={opts.smp} seed={opts.seed}: {summary}")
        return 0
    print(f"FAILED: fuzz smp={opts.smp} seed={opts.seed}: {outcome} ({summary})")
    print("\n".join(details))
    print(f"replay: {run.replay()}")
    return 1


def cmd_soak(opts):
    smps = [int(s) for s in opts.smp_list.split(",")]
    rng = random.Random(opts.seed_base if opts.seed_base is not None else int.from_bytes(os.urandom(8), "little"))
    totals = {"calls": 0, "boots": 0}
    counts = {k: 0 for k in ("panic", "hang", "leak", "corruption", "failure")}
    failures = []
    start = time.monotonic()

    def one(index):
        run = Run(opts.build, smps[index % len(smps)], opts.mem, rng.getrandbits(48), opts.per_boot, None,
                  opts.fuzz_args, opts.kernel, opts.swap)
        return run, run.execute()

    index = 0
    with ThreadPoolExecutor(max_workers=opts.jobs) as pool:
        pending = []
        while totals["calls"] < opts.calls or pending:
            while len(pending) < opts.jobs and totals["calls"] + len(pending) * opts.per_boot < opts.calls:
                pending.append(pool.submit(one, index))
                index += 1
            if not pending:
                break
            done = pending.pop(0)
            run, (outcome, calls, fields, details, seconds) = done.result()
            totals["calls"] += calls
            totals["boots"] += 1
            if outcome != "ok":
                counts[outcome] += 1
                failures.append((run, outcome, details))
                print(f"FAILED: smp={run.smp} seed={run.seed}: {outcome}\n" + "\n".join(details) +
                      f"\nreplay: {run.replay()}", flush=True)
            print(f"soak: boot {totals['boots']} (smp={run.smp} seed={run.seed}): {outcome}, {calls} calls in "
                  f"{seconds:.0f} s; {totals['calls']} calls so far", flush=True)
            if calls == 0 and outcome == "ok":
                break
    minutes = (time.monotonic() - start) / 60
    print(f"soak: {totals['calls']} calls in {totals['boots']} boots (smp {opts.smp_list}, {minutes:.0f} min): "
          f"{counts['panic']} panics, {counts['hang']} hangs, {counts['leak']} leaks, "
          f"{counts['corruption']} corruptions, {counts['failure']} other failures")
    for run, outcome, _ in failures:
        print(f"  {outcome}: {run.replay()}")
    return 1 if failures else 0


def cmd_check_table(opts):
    kernel = open(os.path.join(opts.source, "kernel", "syscall.cpp")).read()
    fuzzer = open(os.path.join(opts.source, "user", "fuzz", "calls.c")).read()
    implemented = set(re.findall(r"^\s*\{(\w+),\s*raw_syscall<", kernel, re.M))
    fuzzed = set(re.findall(r'^\s*(?:CALL|SPECIAL|SPECIAL_ARGS)\(-?\d+,\s*"(\w+)"', fuzzer, re.M))
    if not implemented:
        print("FAILED: found no system call in kernel/syscall.cpp (has its table changed shape?)")
        return 1
    missing = sorted(implemented - fuzzed)
    if missing:
        print("FAILED: the fuzzer has no line for these system calls of kernel/syscall.cpp: " + ", ".join(missing))
        print("add them to fz_calls in user/fuzz/calls.c")
        return 1
    print(f"ok: the fuzzer covers all {len(implemented)} system calls of the kernel's table "
          f"(and {len(fuzzed - implemented)} it does not implement yet)")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    for name in ("run", "soak"):
        p = sub.add_parser(name)
        p.add_argument("--build", required=True)
        p.add_argument("--kernel", help="another kernel image (default: BUILD/kernel/kernel.elf)")
        p.add_argument("--mem", default="128M")
        p.add_argument("--swap", help="a swap area of this size (tools/run --swap); with the fuzzer's --pressure MIB "
                       "(after --), the workers' memory is paged out and in while they fuzz")
        p.add_argument("fuzz_args", nargs="*", help="extra arguments for the fuzzer (after --)")
    run = sub.choices["run"]
    run.add_argument("--smp", type=int, default=1)
    run.add_argument("--seed", type=int, required=True)
    run.add_argument("--calls", type=int, required=True)
    run.add_argument("--timeout", type=float)
    soak = sub.choices["soak"]
    soak.add_argument("--calls", type=int, default=10_000_000)
    soak.add_argument("--per-boot", type=int, default=500_000)
    soak.add_argument("--smp", dest="smp_list", default="1,4")
    soak.add_argument("--jobs", type=int, default=1)
    soak.add_argument("--seed-base", type=int, help="make the random seeds reproducible")
    check = sub.add_parser("check-table")
    check.add_argument("--source", default=ROOT)
    opts = ap.parse_args()
    return {"run": cmd_run, "soak": cmd_soak, "check-table": cmd_check_table}[opts.command](opts)


if __name__ == "__main__":
    sys.exit(main())
