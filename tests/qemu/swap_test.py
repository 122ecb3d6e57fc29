#!/usr/bin/env python3
"""Swap scenarios that need more than one boot, or a failing swap disk (the programs are in user/swap/).

  swap_test.py --build DIR --scenario NAME [--seed N] --smp N [--policy P] [--workload W]

Scenarios:
  policy    swap_locality (80% of the touches on 20% of the pages, 80 MiB on a 64 MiB machine) once under
            replacement=fifo and once under replacement=clock: both read every page right, and clock takes at
            most 92% of FIFO's major faults (the hot pages keep their second chance; FIFO throws them out in
            turn; measured: fifo 10631, clock 8895, 84%). The counts are printed.
  measure   swap_locality WORKLOAD (--workload: hot, moving, scan) once under replacement=POLICY (--policy):
            every page read right, the kernel used that policy, no leak; prints "major faults: N" (lab 6's
            grader, tools/grade swap, compares the student's policy with fifo and clock this way).
  read      swap_errors read with blkdebug failing reads of three swap slots chosen by the seed: the pages in
            those slots get SIGBUS (BUS_ADRERR, at the page), every other page reads back right, the kernel
            says which pages failed, and the machine goes on (init's leak check passes).
  write     swap_errors write with blkdebug failing writes of three slots chosen by the seed: nothing is lost,
            the kernel marks the slots of the failed requests bad and says so.
Exit status 0 when every check passed; 77 when mkswap is missing (skipped).
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECTORS_PER_PAGE = 8


def boot(opts, work, program, args, mem, swap, append=None, timeout=240):
    log = os.path.join(work, "kernel.log")
    cmd = [os.path.join(ROOT, "tools", "run"), "--build", opts.build, "--smp", str(opts.smp), "--mem", mem,
           "--timeout", str(timeout), "--log", log, "--swap", swap]
    if append:
        cmd += ["--append", append]
    cmd += [os.path.join(opts.build, "user", "swap", program)] + args
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout + 60)
    out = p.stdout.decode(errors="replace")
    with open(log, errors="replace") as f:
        kernel_log = f.read()
    sys.stdout.write(out)
    return p.returncode, out, kernel_log


def number(text, label):
    m = re.search(re.escape(label) + r"\s*(\d+)", text)
    return int(m.group(1)) if m else None


def blkdebug_config(work, event, slots):
    # An inject-error rule, once its event has armed it, fails requests of every I/O type that touch its sector
    # unless `iotype` narrows it (QEMU's default is all types): a read rule without it failed the page-out
    # WRITE of the slot first, which marked the slot bad, and the read it was meant for never came.
    iotype = "read" if event == "read_aio" else "write"
    path = os.path.join(work, f"{event}.blkdebug")
    with open(path, "w") as f:
        for slot in slots:
            f.write(f'[inject-error]\nevent = "{event}"\niotype = "{iotype}"\nerrno = "5"\n'
                    f'sector = "{slot * SECTORS_PER_PAGE}"\nonce = "off"\n\n')
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--scenario", required=True, choices=["policy", "measure", "read", "write"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--policy", default="clock")
    ap.add_argument("--workload", default="hot")
    opts = ap.parse_args()
    if not (shutil.which("mkswap") or os.path.exists("/usr/sbin/mkswap") or os.path.exists("/sbin/mkswap")):
        print("skipped: no mkswap")
        return 77
    problems = []

    def check(condition, message):
        if not condition:
            problems.append(message)
            print(f"FAIL: {message}", flush=True)

    with tempfile.TemporaryDirectory(prefix="swap-test-") as work:
        if opts.scenario == "measure":
            status, out, log = boot(opts, work, "swap_locality", [opts.workload], "64M", "128M",
                                    f"replacement={opts.policy}")
            check(status == 0, f"{opts.policy}: exit status {status}")
            check(f"page-out: {opts.policy} replacement" in log,
                  f"{opts.policy}: the kernel did not say it uses {opts.policy}")
            check(number(out, "wrong pages:") == 0, f"{opts.policy}: pages read back wrong")
            check(number(out, "major faults:") is not None, f"{opts.policy}: no count of major faults")
            check("PANIC" not in log, "the kernel panicked")
        elif opts.scenario == "policy":
            faults = {}
            for policy in ("fifo", "clock"):
                status, out, log = boot(opts, work, "swap_locality", [], "64M", "128M", f"replacement={policy}")
                check(status == 0, f"{policy}: exit status {status}")
                check(f"page-out: {policy} replacement" in log, f"{policy}: the kernel did not say it uses {policy}")
                check(number(out, "wrong pages:") == 0, f"{policy}: pages read back wrong")
                faults[policy] = number(out, "major faults:")
            print(f"major faults: fifo {faults['fifo']}, clock {faults['clock']}")
            if faults["fifo"] is not None and faults["clock"] is not None:
                check(faults["fifo"] > 1000, "FIFO took too few major faults for a comparison")
                check(faults["clock"] * 100 <= faults["fifo"] * 92,
                      f"clock took {faults['clock']} major faults, more than 92% of FIFO's {faults['fifo']}")
        else:
            # 80 MiB on 32 MiB: about 16,000 pages go out, in slot order. Three slots in the middle fail (the first
            # ones take the program's startup pages, whose loss would not be the test's).
            slots = sorted(random.Random(opts.seed).sample(range(6000, 12000), 3))
            event = "read_aio" if opts.scenario == "read" else "write_aio"
            config = blkdebug_config(work, event, slots)
            print(f"failing {opts.scenario}s of swap slots {slots}", flush=True)
            status, out, log = boot(opts, work, "swap_errors", [opts.scenario], "32M", f"128M,blkdebug={config}")
            check(status == 0, f"exit status {status}")
            check(number(out, "wrong pages:") == 0, "pages read back wrong")
            check(number(out, "bad signals:") == 0, "a SIGBUS that was not BUS_ADRERR at the page read")
            sigbus = number(out, f"{opts.scenario}: sigbus pages:")
            check("PANIC" not in log, "the kernel panicked")
            if opts.scenario == "read":
                check(sigbus is not None and 1 <= sigbus <= len(slots),
                      f"{sigbus} pages got SIGBUS; expected 1 to {len(slots)} (one per failing slot in use)")
                check(re.search(r"swap: read error on /dev/vda", log) is not None, "no read error in the kernel log")
            else:
                check(sigbus == 0, f"{sigbus} pages got SIGBUS after write errors")
                bad = len(re.findall(r"swap: write error on /dev/vda, page \d+: the slot is marked bad", log))
                # (A failed request of several neighbouring pages marks all of its slots bad.)
                check(bad >= 1, "no slot marked bad")
    print("PASS" if not problems else f"FAILED: {len(problems)} problem(s)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
