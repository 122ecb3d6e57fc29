/* bad_elf: execve of broken programs fails cleanly, and the caller survives.
 * The test reads its own executable, writes broken copies of it (and a few other files) to /tmp and execve's
 * each one in a child. The child reports execve's errno through its exit status; a copy that does start
 * exits 200 ("exec-ran"); a program that the kernel had to kill after the point of no return shows up as a
 * signal. Each outcome is compared with what Linux 6.1 does (measured on the reference Linux kernel,
 * /work/shared/reference-linux).
 *
 * Where Linux only finds the problem after the point of no return and kills the new program (SIGSEGV or
 * SIGBUS), a kernel that checks the program headers before it commits may instead fail execve with ENOEXEC or
 * EINVAL: both are accepted there ("or early"), the calling process survives either way.
 * "#!" scripts: Linux built with BINFMT_SCRIPT (every distribution) gives ENOENT for a missing interpreter;
 * the reference kernel here is built without it and gives ENOEXEC, also accepted.
 *
 * qemu-user cannot run this test: it loads programs itself and reports its own errors, so the expected values
 * below come from real Linux only.
 * A missing PT_INTERP loader is named in a kernel line (ENOENT alone would send a student looking for the program).
 * TEST: kernel-only
 * TEST: kernel-log=cannot open its interpreter /nonexistent/ld-linux-riscv64-lp64d\.so\.1: ENOENT
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* How an execve attempt ended. */
enum kind { FAILED, RAN, KILLED };
struct outcome {
  enum kind kind;
  int value; /* errno for FAILED, signal for KILLED */
};
#define ERR(e) ((struct outcome){FAILED, (e)})
#define SIG(s) ((struct outcome){KILLED, (s)})
#define RUNS ((struct outcome){RAN, 0})
#define NONE ((struct outcome){FAILED, -1})  /* no alternative */
#define EARLY ((struct outcome){FAILED, -2}) /* alternative: execve fails with ENOEXEC or EINVAL */

/* Our own executable, and a copy of it to break. */
static unsigned char* original;
static size_t original_size;
static unsigned char* copy;
static size_t copy_size;
static char path[64];
static char interp_path[64]; /* a file a PT_INTERP names */

static Elf64_Ehdr* ehdr(void) { return (Elf64_Ehdr*)copy; }
static Elf64_Phdr* phdr(int i) { return (Elf64_Phdr*)(copy + ehdr()->e_phoff) + i; }

/* The n-th PT_LOAD (0: text, 1: data) or the first header of a type. */
static Elf64_Phdr* find(uint32_t type, int n) {
  for (int i = 0; i < ehdr()->e_phnum; i++)
    if (phdr(i)->p_type == type && n-- == 0) return phdr(i);
  CHECK(!"program header not found");
  return phdr(0);
}

static void fresh_copy(void) {
  copy_size = original_size;
  memcpy(copy, original, original_size);
}

static void read_self(void) {
  int fd = open(tl_self(), O_RDONLY);
  CHECK(fd >= 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  original_size = (size_t)st.st_size;
  original = malloc(original_size);
  copy = malloc(original_size + 4096);
  CHECK(read(fd, original, original_size) == (ssize_t)original_size);
  close(fd);
  snprintf(path, sizeof path, "/tmp/bad_elf.%d", getpid());
  snprintf(interp_path, sizeof interp_path, "/tmp/bad_elf.%d.interp", getpid());
}

static void write_file_at(const char* file, const void* data, size_t size, mode_t mode) {
  unlink(file); /* a fresh file: open would keep an existing file's mode */
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, mode);
  CHECK(fd >= 0);
  CHECK(write(fd, data, size) == (ssize_t)size);
  CHECK(close(fd) == 0);
}

static void write_file(const void* data, size_t size, mode_t mode) { write_file_at(path, data, size, mode); }

static struct outcome run(const char* file) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char* argv[] = {(char*)file, "exec-ran", NULL};
    char* envp[] = {NULL};
    execve(file, argv, envp);
    _exit(errno);
  }
  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) return SIG(WTERMSIG(status));
  if (WEXITSTATUS(status) == 200) return RUNS;
  return ERR(WEXITSTATUS(status));
}

static const char* describe(struct outcome o, char* buf, size_t size) {
  if (o.kind == FAILED && o.value == -2) snprintf(buf, size, "ENOEXEC or EINVAL");
  else if (o.kind == RAN) snprintf(buf, size, "runs");
  else if (o.kind == KILLED) snprintf(buf, size, "killed by SIG%s", sigabbrev_np(o.value));
  else snprintf(buf, size, "%s", strerrorname_np(o.value) ? strerrorname_np(o.value) : "?");
  return buf;
}

static int same(struct outcome got, struct outcome want) {
  if (want.kind == FAILED && want.value == -2) /* EARLY */
    return got.kind == FAILED && (got.value == ENOEXEC || got.value == EINVAL);
  return got.kind == want.kind && got.value == want.value;
}

/* Run `file` and compare with Linux's outcome (or the one alternative allowed). */
static void expect(const char* what, const char* file, struct outcome on_linux, struct outcome also) {
  struct outcome got = run(file);
  char g[64], l[64], a[64];
  int ok = same(got, on_linux) || same(got, also);
  tl_say("%-44s %s%s\n", what, describe(got, g, sizeof g), ok ? "" : "  <- WRONG");
  if (!ok) {
    fprintf(stderr, "CHECK FAILED: %s: got %s, Linux gives %s%s%s\n", what, g, describe(on_linux, l, sizeof l),
            also.value != -1 ? ", also accepted: " : "", also.value != -1 ? describe(also, a, sizeof a) : "");
    tl_failures++;
  }
}

/* Write the (modified) copy and run it. */
static void expect_copy(const char* what, struct outcome on_linux, struct outcome also) {
  write_file(copy, copy_size, 0755);
  expect(what, path, on_linux, also);
  unlink(path);
}

/* A copy whose PT_GNU_STACK became a PT_INTERP naming `name` (appended to the file; `length` bytes of it, or all of
 * it with its NUL if 0). */
static void expect_interp(const char* what, const char* name, size_t length, struct outcome on_linux) {
  fresh_copy();
  if (!length) length = strlen(name) + 1;
  Elf64_Phdr* p = find(PT_GNU_STACK, 0);
  p->p_type = PT_INTERP;
  p->p_offset = copy_size;
  p->p_filesz = length;
  memcpy(copy + copy_size, name, length);
  copy_size += length;
  expect_copy(what, on_linux, NONE);
}

static void headers(void) {
  fresh_copy();
  expect_copy("an unmodified copy", RUNS, NONE);

  copy_size = 0;
  expect_copy("an empty file", ERR(ENOEXEC), NONE);
  fresh_copy();
  copy_size = 50;
  expect_copy("truncated to 50 bytes", ERR(ENOEXEC), NONE);
  fresh_copy();
  copy_size = ehdr()->e_phoff + 2 * sizeof(Elf64_Phdr) + 20;
  expect_copy("truncated in the program headers", ERR(ENOEXEC), NONE);

  fresh_copy();
  copy[1] = 'F';
  expect_copy("bad magic number", ERR(ENOEXEC), NONE);
  fresh_copy();
  copy[EI_CLASS] = ELFCLASS32;
  expect_copy("ELFCLASS32", ERR(ENOEXEC), NONE);
  fresh_copy();
  ehdr()->e_machine = EM_X86_64;
  expect_copy("e_machine x86-64", ERR(ENOEXEC), NONE);
  fresh_copy();
  ehdr()->e_type = ET_REL;
  expect_copy("e_type ET_REL", ERR(ENOEXEC), NONE);
  fresh_copy();
  ehdr()->e_phentsize = 32;
  expect_copy("e_phentsize 32", ERR(ENOEXEC), NONE);
  fresh_copy();
  ehdr()->e_phnum = 0;
  expect_copy("e_phnum 0", ERR(ENOEXEC), NONE);
  fresh_copy();
  ehdr()->e_phnum = 0xffff;
  expect_copy("e_phnum 65535", ERR(ENOEXEC), NONE);
  fresh_copy();
  ehdr()->e_phoff = copy_size + 4096;
  expect_copy("e_phoff beyond the end of the file", ERR(ENOEXEC), NONE);
}

static void segments(void) {
  fresh_copy();
  find(PT_LOAD, 1)->p_filesz = find(PT_LOAD, 1)->p_memsz + 4096;
  expect_copy("PT_LOAD with p_filesz > p_memsz", SIG(SIGSEGV), EARLY);

  fresh_copy();
  find(PT_LOAD, 1)->p_vaddr = find(PT_LOAD, 0)->p_vaddr + (find(PT_LOAD, 1)->p_vaddr & 0xfff);
  expect_copy("PT_LOADs overlapping", SIG(SIGSEGV), EARLY);

  fresh_copy();
  find(PT_LOAD, 0)->p_offset += 64 << 20; /* still a multiple of the page size away from p_vaddr */
  expect_copy("PT_LOAD p_offset beyond the end of the file", SIG(SIGBUS), EARLY);

  fresh_copy();
  find(PT_LOAD, 1)->p_offset += 8; /* p_offset and p_vaddr no longer agree modulo the page size */
  expect_copy("PT_LOAD p_offset and p_vaddr misaligned", SIG(SIGSEGV), EARLY);

  fresh_copy();
  find(PT_LOAD, 1)->p_vaddr = 0xffffffc000000000UL;
  find(PT_LOAD, 1)->p_paddr = 0xffffffc000000000UL;
  expect_copy("PT_LOAD at a kernel address", SIG(SIGSEGV), EARLY);

  fresh_copy();
  find(PT_LOAD, 1)->p_memsz = -find(PT_LOAD, 1)->p_vaddr + 4096; /* the end wraps around */
  expect_copy("PT_LOAD whose end wraps around", SIG(SIGSEGV), EARLY);

  fresh_copy();
  ehdr()->e_entry = 0x1000; /* nothing mapped there */
  expect_copy("e_entry outside the segments", SIG(SIGSEGV), EARLY);

  /* PT_INTERP naming a loader that cannot be used: the errors of opening it, ENOEXEC for a path without its NUL,
   * EIO for one shorter than an ELF header, ELIBBAD for one that is not a riscv64 ELF file (as Linux 6.1). */
  expect_interp("PT_INTERP naming a missing interpreter", "/nonexistent/ld-linux-riscv64-lp64d.so.1", 0, ERR(ENOENT));
  expect_interp("PT_INTERP without its NUL", "/tmp", 4, ERR(ENOEXEC));
  expect_interp("PT_INTERP of one byte", "/", 1, ERR(ENOEXEC));
  expect_interp("PT_INTERP naming a directory", "/tmp", 0, ERR(EACCES));
  write_file_at(interp_path, "not an ELF file\n", 16, 0755);
  expect_interp("PT_INTERP naming a short text file", interp_path, 0, ERR(EIO));
  char text[128];
  memset(text, 'x', sizeof text);
  write_file_at(interp_path, text, sizeof text, 0755);
  expect_interp("PT_INTERP naming a text file", interp_path, 0, ERR(ELIBBAD));
  ((Elf64_Ehdr*)original)->e_machine = EM_X86_64;
  write_file_at(interp_path, original, original_size, 0755);
  ((Elf64_Ehdr*)original)->e_machine = EM_RISCV;
  expect_interp("PT_INTERP naming an x86-64 ELF file", interp_path, 0, ERR(ELIBBAD));
  write_file_at(interp_path, original, original_size, 0644);
  expect_interp("PT_INTERP naming a file without x permission", interp_path, 0, ERR(EACCES));
  unlink(interp_path);
}

static void files(void) {
  fresh_copy();
  write_file(copy, copy_size, 0644);
  expect("a program without execute permission", path, ERR(EACCES), NONE);
  unlink(path);

  CHECK(mkdir(path, 0755) == 0);
  expect("a directory", path, ERR(EACCES), NONE);
  CHECK(rmdir(path) == 0);

  expect("a file that does not exist", "/tmp/bad_elf.no-such-file", ERR(ENOENT), NONE);
  char through[80];
  write_file("x", 1, 0755);
  snprintf(through, sizeof through, "%s/x", path);
  expect("a path through a regular file", through, ERR(ENOTDIR), NONE);

  write_file("echo hello\n", 11, 0755);
  expect("a shell script without #!", path, ERR(ENOEXEC), NONE);
  write_file("#!/nonexistent/sh\necho hello\n", 29, 0755);
  expect("#! naming a missing interpreter", path, ERR(ENOENT), ERR(ENOEXEC));
  write_file("#!\n", 3, 0755);
  expect("#! naming nothing", path, ERR(ENOEXEC), NONE);
  unlink(path);
}

int main(int argc, char** argv) {
  tl_init(argc, argv);
  if (argc == 2 && strcmp(argv[1], "exec-ran") == 0) return 200;
  read_self();
  headers();
  segments();
  files();
  tl_say("the caller survived\n");
  return tl_done();
}
