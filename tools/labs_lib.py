"""The labs' machinery, shared by tools/mklab, tools/grade and tools/check_labs (see labs/README.md).

Marked regions. A lab takes solution code out of the tree and gives the student starting code in its place. In
any source file (C, C++, assembly, CMake, Python, shell), with `//` or `#` as the comment leader:

    <leader> LAB <name>: BEGIN SOLUTION
    ... the solution, compiled in the main tree ...
    <leader> LAB <name>: STUDENT
    <leader> ... the student's starting code, commented out here: the leader and a space before each line ...
    <leader> LAB <name>: END

(labs/README.md shows a whole region).

The STUDENT part is optional (then the solution is simply removed). The markers of one region share their
indentation and leader; regions do not nest. In a student tree of lab L, L's regions become their STUDENT lines
(leader removed); every other file, other labs' regions included, is as in the main tree.

A lab is labs/NAME/lab.json: its title, status ("ready" or "planned"), handout, and tests with points. Hidden tests
live in labs/NAME/hidden/, which no student tree has.
"""
import json
import os
import re
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<leader>//|#) LAB (?P<lab>[a-z0-9_-]+): (?P<what>BEGIN SOLUTION|STUDENT|END)\s*$")
LOOSE_RE = re.compile(r"\bLAB [a-z0-9_-]+: (BEGIN|STUDENT|END)")
SKIP_SUFFIXES = (".md", ".png", ".jpg", ".img", ".cpio", ".bin", ".dtb")
TEST_KINDS = ("host", "user", "policy", "ctest")


class LabError(Exception):
    pass


def tree_files(root):
    """The files of the tree at root: git's list when it is a clone, else every file outside build/ and .git/."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], capture_output=True, check=True).stdout
        files = [f for f in out.decode().split("\0") if f]
        return sorted(f for f in files if os.path.lexists(os.path.join(root, f)))
    except (subprocess.CalledProcessError, FileNotFoundError):
        pass
    files = []
    for top, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not (top == root and d in ("build", ".git")))
        for n in names:
            files.append(os.path.relpath(os.path.join(top, n), root))
    return sorted(files)


def is_text_source(path):
    return not path.endswith(SKIP_SUFFIXES) and not path.startswith("labs/")


def parse_regions(path, text):
    """The marked regions of one file: a list of dicts (lab, begin, student, end: 0-based line numbers; student is
    None without a STUDENT part; indent, leader). Raises LabError on a malformed marker sequence."""
    regions = []
    open_region = None
    for i, line in enumerate(text.split("\n")):
        m = MARKER_RE.match(line)
        if not m:
            if LOOSE_RE.search(line):
                raise LabError(f"{path}:{i + 1}: a lab marker must stand alone on its line: the comment leader, LAB, "
                               "the lab's name and a colon, then BEGIN SOLUTION, STUDENT or END")
            if open_region and open_region["student"] is not None:
                body = line[len(open_region["indent"]):] if line.startswith(open_region["indent"]) else None
                leader = open_region["leader"]
                if body is None or not (body == leader or body.startswith(leader + " ")):
                    raise LabError(f"{path}:{i + 1}: a STUDENT line of lab {open_region['lab']} must start with "
                                   f"the markers' indentation and `{leader} ` (it is commented out in the main tree)")
            continue
        what, lab = m.group("what"), m.group("lab")
        where = f"{path}:{i + 1}"
        if what == "BEGIN SOLUTION":
            if open_region:
                raise LabError(f"{where}: regions do not nest (lab {open_region['lab']}'s region from line "
                               f"{open_region['begin'] + 1} is still open)")
            open_region = {"lab": lab, "begin": i, "student": None, "end": None, "indent": m.group("indent"),
                           "leader": m.group("leader")}
            continue
        if not open_region:
            raise LabError(f"{where}: `{what}` with no open region")
        if lab != open_region["lab"] or m.group("indent") != open_region["indent"] or m.group("leader") != open_region["leader"]:
            raise LabError(f"{where}: marker does not match the BEGIN of line {open_region['begin'] + 1} (lab, "
                           "indentation and comment leader must be the same)")
        if what == "STUDENT":
            if open_region["student"] is not None:
                raise LabError(f"{where}: a second STUDENT marker in one region")
            open_region["student"] = i
        else:
            open_region["end"] = i
            regions.append(open_region)
            open_region = None
    if open_region:
        raise LabError(f"{path}:{open_region['begin'] + 1}: region of lab {open_region['lab']} is never closed")
    return regions


def render(text, regions, lab):
    """The file as lab's student tree has it: lab's regions replaced by their STUDENT lines, the others kept."""
    lines = text.split("\n")
    out = []
    pos = 0
    for r in regions:
        out.extend(lines[pos:r["begin"]])
        if r["lab"] == lab:
            if r["student"] is not None:
                for line in lines[r["student"] + 1:r["end"]]:
                    body = line[len(r["indent"]):]
                    body = body[len(r["leader"]):]
                    out.append(r["indent"] + body[1:] if body.startswith(" ") else r["indent"] + body)
        else:
            out.extend(lines[r["begin"]:r["end"] + 1])
        pos = r["end"] + 1
    out.extend(lines[pos:])
    return "\n".join(out)


def scan_tree(root):
    """{path: (text, regions)} for every tracked text file with markers. Raises LabError on the first bad one."""
    found = {}
    for path in tree_files(root):
        if not is_text_source(path):
            continue
        full = os.path.join(root, path)
        if os.path.islink(full) or not os.path.isfile(full):
            continue
        try:
            with open(full, encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError:
            continue
        if "LAB " not in text:
            continue
        regions = parse_regions(path, text)
        if regions:
            found[path] = (text, regions)
    return found


def load_labs(root):
    """{name: lab.json contents} for labs/*/lab.json, in the order of their "number"."""
    labs = {}
    base = os.path.join(root, "labs")
    if not os.path.isdir(base):
        return labs
    for name in sorted(os.listdir(base)):
        spec = os.path.join(base, name, "lab.json")
        if os.path.isfile(spec):
            with open(spec) as f:
                try:
                    lab = json.load(f)
                except json.JSONDecodeError as e:
                    raise LabError(f"labs/{name}/lab.json: {e}")
            lab["name"] = name
            labs[name] = lab
    return dict(sorted(labs.items(), key=lambda kv: kv[1].get("number", 99)))


def check(root):
    """Every problem with the labs of the tree at root, as a list of strings (empty: all is well)."""
    problems = []
    try:
        marked = scan_tree(root)
        labs = load_labs(root)
    except LabError as e:
        return [str(e)]
    per_lab = {}
    for path, (_, regions) in marked.items():
        for r in regions:
            if r["lab"] not in labs:
                problems.append(f"{path}:{r['begin'] + 1}: lab {r['lab']} has no labs/{r['lab']}/lab.json")
            per_lab.setdefault(r["lab"], []).append(path)
    for name, lab in labs.items():
        where = f"labs/{name}/lab.json"
        for key in ("number", "title", "status", "handout"):
            if key not in lab:
                problems.append(f"{where}: no \"{key}\"")
        if not os.path.isfile(os.path.join(root, "labs", name, lab.get("handout", "README.md"))):
            problems.append(f"{where}: handout {lab.get('handout')} does not exist")
        if lab.get("status") == "planned":
            if name in per_lab:
                problems.append(f"{where}: a planned lab has marked regions ({', '.join(per_lab[name])})")
            continue
        if lab.get("status") != "ready":
            problems.append(f"{where}: status must be \"ready\" or \"planned\"")
            continue
        if name not in per_lab:
            problems.append(f"{where}: a ready lab marks no region of the tree")
        tests = lab.get("tests", [])
        if not tests:
            problems.append(f"{where}: a ready lab has no tests")
        names = set()
        for t in tests:
            label = t.get("name", "?")
            if label in names:
                problems.append(f"{where}: two tests named {label!r}")
            names.add(label)
            if t.get("kind") not in TEST_KINDS:
                problems.append(f"{where}: test {label!r}: kind must be one of {TEST_KINDS}")
            if not isinstance(t.get("points"), int) or t["points"] <= 0:
                problems.append(f"{where}: test {label!r}: points must be a positive integer")
            if t.get("kind") == "host" and not (t.get("binary") and t.get("case")):
                problems.append(f"{where}: test {label!r}: a host test names its binary and doctest case")
            if t.get("kind") == "user":
                src = test_source(root, name, t)
                if not os.path.isfile(src):
                    problems.append(f"{where}: test {label!r}: no {os.path.relpath(src, root)}")
            if t.get("kind") == "ctest" and not t.get("ctest"):
                problems.append(f"{where}: test {label!r}: a ctest test names it (\"ctest\": NAME)")
            if t.get("kind") == "policy":
                ths = t.get("thresholds") or []
                if not (t.get("policy") and t.get("workload") and ths):
                    problems.append(f"{where}: test {label!r}: a policy test names its policy, workload and thresholds")
                elif sum(th.get("points", 0) for th in ths) != t.get("points"):
                    problems.append(f"{where}: test {label!r}: the thresholds' points do not add up to its points")
                elif any(th.get("vs") not in ("fifo", "clock", "lru2") or not 0 < th.get("at_most", 0) for th in ths):
                    problems.append(f"{where}: test {label!r}: each threshold names a yardstick policy and at_most")
            if t.get("hidden") and t.get("kind") == "host":
                src = os.path.join(root, "labs", name, "hidden", t.get("file", ""))
                if not t.get("file") or not os.path.isfile(src):
                    problems.append(f"{where}: hidden host test {label!r} names no file in labs/{name}/hidden/")
    return problems


def test_source(root, lab, test):
    """The C source of a user test: user/tests/PROGRAM.c (or user/vmtricks/PROGRAM.c, the programs of
    user/vmtricks/README.md, which run as tests too), or labs/LAB/hidden/PROGRAM.c for a hidden one."""
    if test.get("hidden"):
        return os.path.join(root, "labs", lab, "hidden", test["program"] + ".c")
    name = test.get("program", "?") + ".c"
    vmtricks = os.path.join(root, "user", "vmtricks", name)
    if os.path.isfile(vmtricks) and not os.path.isfile(os.path.join(root, "user", "tests", name)):
        return vmtricks
    return os.path.join(root, "user", "tests", name)


def make_student_tree(root, lab_name, out):
    """Writes lab_name's student tree to out (which must not exist or be empty). Returns the files changed."""
    labs = load_labs(root)
    if lab_name not in labs:
        raise LabError(f"no lab {lab_name} (labs: {', '.join(labs) or 'none'})")
    if labs[lab_name].get("status") != "ready":
        raise LabError(f"lab {lab_name} is {labs[lab_name].get('status')}, not ready: no student tree")
    if os.path.exists(out) and os.listdir(out):
        raise LabError(f"{out} exists and is not empty")
    marked = scan_tree(root)
    changed = []
    for path in tree_files(root):
        if re.match(r"labs/[^/]+/hidden/", path):
            continue  # hidden tests stay with the instructor
        src = os.path.join(root, path)
        dst = os.path.join(out, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
            continue
        if path in marked and any(r["lab"] == lab_name for r in marked[path][1]):
            text, regions = marked[path]
            with open(dst, "w", encoding="utf-8") as f:
                f.write(render(text, regions, lab_name))
            changed.append(path)
            os.chmod(dst, os.stat(src).st_mode & 0o777)
        else:
            # Everything else exactly as it is (other labs' regions too), with its time stamp: a build directory
            # cloned from the main tree's (clone_build) then recompiles only what the lab changed.
            shutil.copy2(src, dst)
    with open(os.path.join(out, ".lab"), "w") as f:
        f.write(lab_name + "\n")
    return changed


def clone_build(main_root, student_root, build_rel):
    """Copies the main tree's build directory build_rel (build/riscv, build/host) into the student tree at
    student_root, with the main tree's path replaced by the student tree's in every text file (Makefiles, CMake's
    cache, dependency lists, compile commands, ctest files), time stamps kept. Building there then recompiles
    only what make_student_tree changed and relinks: seconds instead of a full build."""
    src_dir = os.path.abspath(os.path.join(main_root, build_rel))
    dst_dir = os.path.abspath(os.path.join(student_root, build_rel))
    if os.path.commonpath([src_dir, dst_dir]) == src_dir:
        raise LabError(f"cannot clone {src_dir} into itself ({dst_dir})")
    old, new = os.path.abspath(main_root).encode(), os.path.abspath(student_root).encode()
    binary = (".o", ".a", ".elf", ".so", ".dbg", ".cpio", ".img", ".dtb", ".bin")
    for top, dirs, files in os.walk(src_dir):
        dirs[:] = [d for d in dirs if d != "lab-trees"]  # student trees kept by labs_check.py --keep
        rel = os.path.relpath(top, src_dir)
        os.makedirs(os.path.join(dst_dir, rel), exist_ok=True)
        for name in files:
            s_path = os.path.join(top, name)
            d_path = os.path.join(dst_dir, rel, name)
            if os.path.islink(s_path):
                target = os.readlink(s_path).encode()
                os.symlink(target.replace(old, new).decode(), d_path)
                continue
            shutil.copy2(s_path, d_path)
            if name.endswith(binary) or os.path.getsize(s_path) > 8 << 20:
                continue
            with open(s_path, "rb") as f:
                data = f.read()
            if old in data and b"\0" not in data[:4096]:
                st = os.stat(s_path)
                with open(d_path, "wb") as f:
                    f.write(data.replace(old, new))
                os.utime(d_path, ns=(st.st_atime_ns, st.st_mtime_ns))
