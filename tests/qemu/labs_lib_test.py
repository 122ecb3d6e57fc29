#!/usr/bin/env python3
"""Unit tests of tools/labs_lib.py (the marked regions, the student tree) on small made-up trees."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools"))
import labs_lib  # noqa: E402

def L(text):
    """The markers in this file are written @@ so that the tree's own check does not take them for regions."""
    return text.replace("@@ ", "LAB ")


SOURCE = L("""int f() {
  // @@ one: BEGIN SOLUTION
  return 42;
  // @@ one: STUDENT
  // // TODO(lab one): return the answer
  // return 0;
  // @@ one: END
}
# @@ two: BEGIN SOLUTION
x = 1
# @@ two: END
""")


def write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


def make_tree(root, source=SOURCE):
    write(root, "src/f.cpp", source)
    write(root, "src/plain.c", "int g;\n")
    for name, number in (("one", 1), ("two", 2)):
        write(root, f"labs/{name}/lab.json", json.dumps({
            "number": number, "title": name, "status": "ready", "handout": "README.md",
            "tests": [{"name": "t", "kind": "host", "binary": "b", "case": "c", "points": 1}]}))
        write(root, f"labs/{name}/README.md", "handout\n")
    write(root, "labs/one/hidden/secret_test.cpp", "hidden\n")


class Regions(unittest.TestCase):
    def test_parse_and_render(self):
        regions = labs_lib.parse_regions("f.cpp", SOURCE)
        self.assertEqual([(r["lab"], r["begin"], r["student"], r["end"]) for r in regions],
                         [("one", 1, 3, 6), ("two", 8, None, 10)])
        self.assertEqual(labs_lib.render(SOURCE, regions, "one"), L("int f() {\n  // TODO(lab one): return the answer\n"
                         "  return 0;\n}\n# @@ two: BEGIN SOLUTION\nx = 1\n# @@ two: END\n"))
        self.assertEqual(labs_lib.render(SOURCE, regions, "two"), "\n".join(SOURCE.split("\n")[:8]) + "\n")

    def bad(self, text, message):
        with self.assertRaises(labs_lib.LabError) as e:
            labs_lib.parse_regions("bad.cpp", L(text))
        self.assertIn(message, str(e.exception))

    def test_errors(self):
        self.bad("// @@ a: BEGIN SOLUTION\n// @@ a: BEGIN SOLUTION\n", "do not nest")
        self.bad("// @@ a: END\n", "no open region")
        self.bad("// @@ a: BEGIN SOLUTION\nx\n", "never closed")
        self.bad("// @@ a: BEGIN SOLUTION\n// @@ b: END\n", "does not match")
        self.bad("  // @@ a: BEGIN SOLUTION\n// @@ a: END\n", "does not match")
        self.bad("// @@ a: BEGIN SOLUTION\n# @@ a: END\n", "does not match")
        self.bad("// @@ a: BEGIN SOLUTION\n// @@ a: STUDENT\nint x;\n// @@ a: END\n", "must start with")
        self.bad("// @@ a: BEGIN SOLUTION\n// @@ a: STUDENT\n// @@ a: STUDENT\n// @@ a: END\n", "second STUDENT")
        self.bad("x = 1;  // @@ a: END\n", "alone on its line")


class Trees(unittest.TestCase):
    def test_student_tree(self):
        with tempfile.TemporaryDirectory() as root, tempfile.TemporaryDirectory() as out:
            make_tree(root)
            self.assertEqual(labs_lib.check(root), [])
            changed = labs_lib.make_student_tree(root, "one", os.path.join(out, "t"))
            self.assertEqual(changed, ["src/f.cpp"])
            with open(os.path.join(out, "t", "src/f.cpp")) as f:
                text = f.read()
            self.assertNotIn("return 42", text)
            self.assertIn(L("# @@ two: BEGIN SOLUTION"), text)  # other labs' regions stay as they are
            self.assertFalse(os.path.exists(os.path.join(out, "t", "labs/one/hidden")))
            self.assertTrue(os.path.exists(os.path.join(out, "t", "labs/one/lab.json")))
            with open(os.path.join(out, "t", ".lab")) as f:
                self.assertEqual(f.read(), "one\n")
            self.assertEqual(os.stat(os.path.join(root, "src/plain.c")).st_mtime_ns,
                             os.stat(os.path.join(out, "t", "src/plain.c")).st_mtime_ns)
            with self.assertRaises(labs_lib.LabError):
                labs_lib.make_student_tree(root, "one", os.path.join(out, "t"))  # not empty
            with self.assertRaises(labs_lib.LabError):
                labs_lib.make_student_tree(root, "nope", os.path.join(out, "u"))

    def test_check_finds_problems(self):
        with tempfile.TemporaryDirectory() as root:
            make_tree(root, SOURCE + L("// @@ three: BEGIN SOLUTION\n// @@ three: END\n"))
            write(root, "labs/two/lab.json", json.dumps({"number": 2, "title": "t", "status": "planned",
                                                         "handout": "README.md"}))
            problems = "\n".join(labs_lib.check(root))
            self.assertIn("lab three has no labs/three/lab.json", problems)
            self.assertIn("a planned lab has marked regions", problems)

    def test_clone_build(self):
        with tempfile.TemporaryDirectory() as root, tempfile.TemporaryDirectory() as student:
            write(root, "build/x/Makefile", f"SRC = {root}/src\n")
            write(root, "build/x/obj.o", f"\0binary {root}\n")
            labs_lib.clone_build(root, student, "build/x")
            with open(os.path.join(student, "build/x/Makefile")) as f:
                self.assertEqual(f.read(), f"SRC = {student}/src\n")
            with open(os.path.join(student, "build/x/obj.o")) as f:
                self.assertIn(root, f.read())  # binaries are copied as they are
            self.assertEqual(os.stat(os.path.join(root, "build/x/Makefile")).st_mtime_ns,
                             os.stat(os.path.join(student, "build/x/Makefile")).st_mtime_ns)


if __name__ == "__main__":
    unittest.main()
