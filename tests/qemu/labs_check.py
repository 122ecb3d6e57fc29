#!/usr/bin/env python3
"""A lab's student tree is what labs/README.md promises, and its grader grades.

  labs_check.py --lab LAB --build DIR --host-build DIR [--work DIR] [--full]

1. tools/mklab writes the student tree (in --work, default BUILD/../lab-trees/LAB, that is build/lab-trees/LAB); only the files with LAB's regions
   differ from this tree, and none of them keeps a marker of LAB.
2. The student tree builds: the main tree's build directories are cloned into it (tools/labs_lib.py,
   clone_build), so only the lab's files are recompiled: the kernel (when the lab has user tests) and the host
   test binaries.
3. The grader gives 0 points on every visible test of the untouched student tree (hidden tests are not there).
4. The student tree passes the tests that are not the lab's (labs/LAB/lab.json "owns_ctest"): every host test
   suite, and a sample of the QEMU tests (boot, programs, fork, the gdb commands); with --full, every QEMU test
   make test runs (what `make labcheck` runs; not the labels make test leaves out: long, debug-extended,
   labs-student).
The solution side (full points in this tree) is the test labs.grade.LAB.
"""
import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import labs_lib  # noqa: E402

# QEMU tests every student tree must pass in make test (the whole suite with --full): booting, a C program,
# processes, memory, pipes, and the gdb commands (a fork with copy-on-write). (Not the shell session: its
# per-line timeouts are the first to go on a loaded machine, in the slower eager starting code of lab lazy;
# `make labcheck` runs it.)
SAMPLE = ["boot.smp1.64M", "boot.smp4.64M", "user.hello_glibc.smp1", "user.fork_wait_tree.smp4", "user.pipes.smp1",
          "user.mm_munmap_split.smp1", "user.mm_no_data_leak.smp1", "user.procs_100.smp4", "debug.gdb_helpers"]


def sh(cmd, cwd=None, timeout=900):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


# The labels of the tests make test leaves out (Makefile): --full runs what make test runs, in the student tree.
NOT_MAKE_TEST = "debug-extended|labs-student|long"


def ctest_names(build, exclude_labels=None):
    code, out = sh(["ctest", "--test-dir", build, "-N"] + (["-LE", exclude_labels] if exclude_labels else []))
    return re.findall(r"Test\s+#\d+: (.+)$", out, re.M)


def owned(name, patterns):
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def ctest_run(build, names, jobs=2, timeout=300):
    if not names:
        return True, ""
    regex = "^(" + "|".join(re.escape(n) for n in names) + ")$"
    code, out = sh(["ctest", "--test-dir", build, "-R", regex, "-j", str(jobs), "--timeout", str(timeout),
                    "--output-on-failure"], timeout=3600)
    return code == 0, out


def check_results_schema(res, lab, hidden_expected):
    """Problems with a Gradescope results.json (https://gradescope-autograders.readthedocs.io, "Output format")."""
    problems = []
    if not isinstance(res.get("score"), (int, float)) or not isinstance(res.get("tests"), list):
        return ["results.json: needs a numeric score and a list of tests"]
    by_name = {t["name"]: t for t in lab["tests"]}
    for t in res["tests"]:
        for key, kind in (("name", str), ("score", (int, float)), ("max_score", (int, float)), ("output", str),
                          ("visibility", str)):
            if not isinstance(t.get(key), kind):
                problems.append(f"results.json: test {t.get('name')!r}: {key} missing or not {kind}")
        if t.get("visibility") not in ("hidden", "after_due_date", "after_published", "visible"):
            problems.append(f"results.json: test {t.get('name')!r}: visibility {t.get('visibility')!r}")
        spec = by_name.get(t.get("name"))
        if not spec:
            problems.append(f"results.json: test {t.get('name')!r} is not in lab.json")
        elif t.get("max_score") != spec["points"]:
            problems.append(f"results.json: test {t['name']!r}: max_score {t.get('max_score')} != {spec['points']}")
        elif spec.get("hidden") and t.get("visibility") == "visible":
            problems.append(f"results.json: hidden test {t['name']!r} is visible")
    names = sorted(t["name"] for t in res["tests"])
    want = sorted(t["name"] for t in lab["tests"] if hidden_expected or not t.get("hidden"))
    if names != want:
        problems.append(f"results.json has tests {names}, expected {want}")
    if abs(sum(t.get("score", 0) for t in res["tests"]) - res["score"]) > 1e-9:
        problems.append("results.json: the score is not the sum of the tests' scores")
    return problems


def check_solution(opts, lab):
    """The main tree (the solution) gets every point, hidden tests included, and a well-formed results.json."""
    results = os.path.join(opts.build, f"labs-results-{opts.lab}.json")
    code, out = sh([os.path.join(ROOT, "tools", "grade"), opts.lab, "--build", opts.build, "--host-build",
                    opts.host_build, "--results", results], timeout=3600)
    print(out)
    problems = [] if code == 0 else [f"the grader exited {code} on the solution"]
    try:
        with open(results) as f:
            res = json.load(f)
        problems += check_results_schema(res, lab, hidden_expected=True)
        full = sum(t["points"] for t in lab["tests"])
        if res.get("score") != full:
            problems.append(f"the solution scored {res.get('score')} of {full}")
    except (OSError, ValueError) as e:
        problems.append(f"results.json: {e}")
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        return 1
    print(f"ok: the solution of lab {opts.lab} gets every point; results.json is well formed")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--host-build", required=True)
    ap.add_argument("--work")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the student tree afterwards")
    ap.add_argument("--solution", action="store_true", help="grade this tree instead: full points expected")
    opts = ap.parse_args()
    start = time.monotonic()
    lab = labs_lib.load_labs(ROOT)[opts.lab]
    if opts.solution:
        return check_solution(opts, lab)
    # Beside the build directories (never inside one: the build directories are cloned into the tree).
    work = opts.work or os.path.join(os.path.dirname(os.path.abspath(opts.build)), "lab-trees", opts.lab)
    shutil.rmtree(work, ignore_errors=True)
    problems = []

    # 1. The tree.
    changed = labs_lib.make_student_tree(ROOT, opts.lab, work)
    marked = labs_lib.scan_tree(ROOT)
    expect = sorted(p for p, (_, regions) in marked.items() if any(r["lab"] == opts.lab for r in regions))
    if sorted(changed) != expect:
        problems.append(f"mklab changed {changed}, the lab's regions are in {expect}")
    for path in labs_lib.tree_files(ROOT):
        mine, theirs = os.path.join(ROOT, path), os.path.join(work, path)
        if re.match(r"labs/[^/]+/hidden/", path):
            if os.path.exists(theirs):
                problems.append(f"the student tree has the hidden test {path}")
            continue
        if not os.path.lexists(theirs):
            problems.append(f"the student tree lacks {path}")
        elif path not in changed and not os.path.islink(mine):
            with open(mine, "rb") as a, open(theirs, "rb") as b:
                if a.read() != b.read():
                    problems.append(f"{path} differs in the student tree but has no region of the lab")
    for path in changed:
        with open(os.path.join(work, path)) as f:
            if re.search(rf"LAB {re.escape(opts.lab)}: ", f.read()):
                problems.append(f"{path} keeps a marker of lab {opts.lab} in the student tree")
    print(f"student tree of {opts.lab}: {len(changed)} files with starting code ({', '.join(changed)})")

    # 2. It builds (only what the lab changed is recompiled).
    host_bins = sorted({t["binary"] for t in lab["tests"] if t["kind"] == "host" and not t.get("hidden")})
    has_user = any(t["kind"] in ("user", "policy", "ctest") for t in lab["tests"])
    for rel, main_build in (("build/host", opts.host_build), ("build/riscv", opts.build)):
        if os.path.abspath(main_build) != os.path.join(ROOT, rel):
            problems.append(f"{main_build} is not {rel} of this tree: cannot clone it")
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        return 1
    labs_lib.clone_build(ROOT, work, "build/host")
    code, out = sh(["cmake", "--build", "build/host", "-j", "2"], cwd=work, timeout=1800)
    if code != 0:
        print(out[-6000:])
        print("FAILED: the student tree's host tests do not build")
        return 1
    if has_user or opts.full:
        labs_lib.clone_build(ROOT, work, "build/riscv")
        # The kernel and the initramfs (the user programs are the main tree's: no lab changes them); everything
        # with --full.
        targets = [] if opts.full else ["--target", "kernel", "initramfs"]
        code, out = sh(["cmake", "--build", "build/riscv", "-j", "2"] + targets, cwd=work, timeout=1800)
        if code != 0:
            print(out[-6000:])
            print("FAILED: the student tree's kernel does not build")
            return 1
        for rel in ("kernel/kernel.elf",):
            a, b = os.path.join(opts.build, rel), os.path.join(work, "build/riscv", rel)
            if open(a, "rb").read() == open(b, "rb").read():
                problems.append(f"the student kernel is the solution's ({rel} unchanged): the build used the main tree")
    print(f"built in {time.monotonic() - start:.0f} s")

    # 3. The grader: 0 on every visible test.
    results = os.path.join(work, "results.json")
    code, out = sh([sys.executable, os.path.join(work, "tools", "grade"), "--quiet", "--results", results], cwd=work,
                   timeout=3600)
    print(out)
    if code == 0:
        problems.append("the grader passed the untouched student tree")
    try:
        with open(results) as f:
            res = json.load(f)
        problems += check_results_schema(res, lab, hidden_expected=False)
        for t in res["tests"]:
            if t["score"] != 0:
                problems.append(f"visible test {t['name']!r} got {t['score']} points on the starting code")
    except (OSError, ValueError, KeyError) as e:
        problems.append(f"results.json: {e}")

    # 4. Everything that is not the lab's passes.
    patterns = lab.get("owns_ctest", [])
    host_tests = [n for n in ctest_names(os.path.join(work, "build/host")) if not owned(n, patterns)]
    ok, out = ctest_run(os.path.join(work, "build/host"), host_tests)
    if not ok:
        problems.append("host tests that are not the lab's fail in the student tree:\n" + out[-4000:])
    if has_user or opts.full:
        names = [n for n in ctest_names(os.path.join(work, "build/riscv"), NOT_MAKE_TEST) if not owned(n, patterns)]
        if not opts.full:
            names = [n for n in names if n in SAMPLE]
        names = [n for n in names if not n.startswith("labs.")]
        ok, out = ctest_run(os.path.join(work, "build/riscv"), names)
        if not ok:
            problems.append("QEMU tests that are not the lab's fail in the student tree:\n" + out[-6000:])
        print(f"{len(host_tests)} host test suites and {len(names)} QEMU tests not the lab's: "
              f"{'pass' if ok else 'FAIL'}")
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        return 1
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"ok: lab {opts.lab}'s student tree builds, gets 0 points, and passes what is not the lab's "
          f"({time.monotonic() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
