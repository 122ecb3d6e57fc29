// execve(2): load an ELF program into a fresh address space and switch the process over to it.
//
// Everything that can fail is done before the old image is touched: the arguments are copied into the
// kernel, the ELF headers are read and checked, and the complete new address space (segments, stack,
// arguments, auxiliary vector) is built on the side. Only then does the process switch to it, so a bad ELF
// leaves the caller intact with an error. Only a failure to map the new image (RLIMIT_AS, no memory), which
// Linux meets after its point of no return, kills the process with SIGSEGV, as there.
//
// Segments are not read: each PT_LOAD becomes a private mapping of the file's pages (demand-paged, copy-on-write
// for writable data) plus anonymous zero-fill memory for .bss. A position-independent program (ET_DYN) is placed
// at a random base. A static PIE relocates itself; a dynamically linked program names an interpreter (PT_INTERP,
// glibc's ld.so), which is mapped too, at a random place below the mmap base, and started instead of the
// program: it finds the program through the auxiliary vector (AT_PHDR, AT_ENTRY; its own address is AT_BASE),
// maps the shared libraries with mmap, relocates everything and jumps to the program's entry.
#include "kernel/exec.h"

#include <cstring>

#include "arch/riscv/usercopy.h"
#include "arch/riscv/vdso.h"
#include "kernel/abi/linux.h"
#include "kernel/elf.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/vfs.h"
#include "mm/heap.h"
#include "kernel/futex.h"
#include "kernel/log.h"
#include "kernel/process.h"
#include "kernel/random.h"
#include "kernel/sched.h"
#include "kernel/signal/signal.h"
#include "kernel/syscall_raw.h"
#include "kernel/timers.h"
#include "mm/address_space.h"

extern "C" [[noreturn]] void enter_user_mode(TrapFrame* tf);

namespace {

constexpr usize MAX_PHDR_BYTES = 64 * KiB;  // like Linux's ELF_MIN_ALIGN-independent limit
constexpr int MAX_INTERPRETER_DEPTH = 4;    // #! scripts naming #! scripts
constexpr u64 INITIAL_STACK = 128 * KiB;    // mapped at exec below the strings; the region grows on demand to RLIMIT_STACK
constexpr usize AUXV_PAIRS = 20;             // at most, in the auxiliary vector (build_stack)
constexpr u64 PIE_BASE = 0x2aaaaaa000ull;   // ET_DYN programs are placed at this base plus a random offset
constexpr u64 PIE_RANDOM_PAGES = 1ull << 16;
constexpr u64 INTERP_RANDOM_PAGES = 1ull << 16;  // the interpreter goes up to 256 MiB below where mmap would put it
// AT_HWCAP on riscv: one bit per single-letter ISA extension ('a' = bit 0): IMAFDC.
constexpr u64 HWCAP_IMAFDC = (1ull << ('i' - 'a')) | (1ull << ('m' - 'a')) | (1ull << ('a' - 'a')) |
                             (1ull << ('f' - 'a')) | (1ull << ('d' - 'a')) | (1ull << ('c' - 'a'));

// Linux 6.1's limits on the strings execve takes (fs/exec.c; execve(2), "Limits on size of arguments and
// environment"): one string, its NUL included, at most MAX_ARG_STRLEN; all of them (and the program's path)
// at most a quarter of RLIMIT_STACK, capped at 3/4 of _STK_LIM (6 MiB) and at least ARG_MAX (32 pages), less the
// pointers argv and envp will take on the stack (bprm_stack_limits); E2BIG past either.
constexpr usize MAX_ARG_STRLEN = 32 * PAGE_SIZE;
constexpr usize ARG_MAX = 32 * PAGE_SIZE;
constexpr usize ARG_STRINGS_CAP = 6 * MiB;
constexpr u64 MAX_ARG_STRINGS = 0x7fffffff;  // pointers in argv or envp (more: E2BIG)
// The strings are kept in chunks of this size, each string whole in one chunk (so each can be read in place).
constexpr usize ARG_CHUNK = MAX_ARG_STRLEN;
// A long copy gives others the hart (and stops for SIGKILL) after this many bytes or strings.
constexpr usize ARG_COPY_BURST_BYTES = 256 * KiB;
constexpr usize ARG_COPY_BURST_STRINGS = 4096;

// The argument and environment strings, NUL-terminated, arguments first, in a list of chunks (up to 6 MiB in
// all: no one buffer that large need be found).
struct Arguments {
  struct Chunk {
    Chunk* next = nullptr;
    usize used = 0;
    char* data = nullptr;  // ARG_CHUNK bytes
  };
  Chunk* first = nullptr;
  Chunk* last = nullptr;
  usize size = 0;            // bytes of all the strings, NULs included
  usize budget = ARG_MAX;    // what they may take (sys_execve sets it from RLIMIT_STACK and the pointer count)
  usize argc = 0;
  usize envc = 0;

  Arguments() = default;
  ~Arguments() {
    while (Chunk* c = first) {
      first = c->next;
      kfree(c->data);
      delete c;
    }
  }
  Arguments(const Arguments&) = delete;
  Arguments& operator=(const Arguments&) = delete;

  usize room() const { return last ? ARG_CHUNK - last->used : 0; }
  Result<void> new_chunk() {
    auto* c = new Chunk();
    if (!c) return Error::NOMEM;
    c->data = static_cast<char*>(kmalloc(ARG_CHUNK));
    if (!c->data) {
      delete c;
      return Error::NOMEM;
    }
    (last ? last->next : first) = c;
    last = c;
    return {};
  }
  void took(usize bytes) {
    last->used += bytes;
    size += bytes;
  }
  Result<void> add(const char* s, usize len) {
    if (len + 1 > MAX_ARG_STRLEN || len + 1 > budget - size) return Error::TOO_BIG;
    if (room() < len + 1) TRY(new_chunk());
    memcpy(last->data + last->used, s, len);
    last->data[last->used + len] = '\0';
    took(len + 1);
    return {};
  }
  // The user's string at `pointer`: EFAULT, or E2BIG when it is too long or the strings would pass the budget.
  Result<void> add_from_user(u64 pointer) {
    usize most = budget - size < MAX_ARG_STRLEN ? budget - size : MAX_ARG_STRLEN;  // its bytes, NUL included
    if (most == 0) return Error::TOO_BIG;
    if (room() == 0) TRY(new_chunk());
    for (;;) {
      usize here = room() < most ? room() : most;
      auto len = copy_string_from_user(last->data + last->used, pointer, here);
      if (!len.is_error()) {
        took(len.value() + 1);
        return {};
      }
      if (len.error() != Error::NAMETOOLONG) return len.error();
      if (here == most) return Error::TOO_BIG;
      TRY(new_chunk());  // too long for what this chunk has left: again in a new one
    }
  }
  // fn(const char* string, usize length) for each string in order.
  template <typename Fn>
  void for_each_string(Fn fn) const {
    for (const Chunk* c = first; c; c = c->next) {
      for (usize at = 0; at < c->used;) {
        usize len = strlen(c->data + at);
        fn(c->data + at, len);
        at += len + 1;
      }
    }
  }
};

// Linux's count(): the pointers in a NULL-terminated user array (E2BIG past MAX_ARG_STRINGS). An array as long
// as the user's memory neither holds the hart nor outlives SIGKILL.
Result<usize> count_strings(u64 user_array) {
  if (!user_array) return static_cast<usize>(0);
  for (usize count = 0;; count++) {
    u64 pointer = TRY(copy_value_from_user<u64>(user_array + count * 8));
    if (!pointer) return count;
    if (count >= MAX_ARG_STRINGS) return Error::TOO_BIG;
    if (count % ARG_COPY_BURST_STRINGS == ARG_COPY_BURST_STRINGS - 1 && preemption_point(StopOn::Kill))
      return Error::INTR;
  }
}

// Copy `count` strings of a user array (counted before) into args.
Result<void> copy_strings(Arguments& args, u64 user_array, usize count) {
  usize burst_start = args.size;
  for (usize i = 0; i < count; i++) {
    u64 pointer = TRY(copy_value_from_user<u64>(user_array + i * 8));
    if (!pointer) return Error::FAULT;  // the array changed since it was counted
    TRY(args.add_from_user(pointer));
    if (args.size - burst_start >= ARG_COPY_BURST_BYTES || i % ARG_COPY_BURST_STRINGS == ARG_COPY_BURST_STRINGS - 1) {
      if (preemption_point(StopOn::Kill)) return Error::INTR;
      burst_start = args.size;
    }
  }
  return {};
}

// bprm_stack_limits: what the strings (with the program's path, path_bytes with its NUL) may take, from the
// caller's RLIMIT_STACK and the pointers the stack will hold (argv with at least one, envp); E2BIG if nothing.
Result<usize> argument_budget(usize argc, usize envc, usize path_bytes) {
  u64 stack = mm_space_limits().stack;
  u64 limit = stack / 4 < ARG_STRINGS_CAP ? stack / 4 : ARG_STRINGS_CAP;
  if (limit < ARG_MAX) limit = ARG_MAX;
  u64 pointers = ((argc ? argc : 1) + static_cast<u64>(envc)) * 8;
  if (limit <= pointers || limit - pointers < path_bytes) return Error::TOO_BIG;
  return static_cast<usize>(limit - pointers - path_bytes);
}

Result<void> read_exact(File& file, void* buffer, usize len, u64 offset) {
  usize n = TRY(file.read_at(IoBuffer::kernel(buffer, len), len, offset));
  if (n != len) return Error::NOEXEC;  // truncated file
  return {};
}

Prot segment_prot(u32 flags) {
  Prot p = Prot::None;
  if (flags & elf::PF_R) p = p | Prot::Read;
  if (flags & elf::PF_W) p = p | Prot::Write | Prot::Read;
  if (flags & elf::PF_X) p = p | Prot::Exec;
  return p;
}

struct Image {
  u64 entry = 0;
  u64 phdr_address = 0;
  u16 phnum = 0;
  u64 end = 0;            // highest byte of any segment (the break starts after it)
  u64 start_data = 0;     // Linux's start_data and end_data: the highest segment start, the highest file end
  u64 end_data = 0;       // (brk counts end_data - start_data with the heap for RLIMIT_DATA)
  bool exec_stack = false;
  u64 vdso_base = 0;      // where the vDSO is mapped (AT_SYSINFO_EHDR)
  u64 interp_base = 0;    // the interpreter's load bias (AT_BASE), 0 without one
};

// Check the ELF header and program headers the way Linux's load_elf_binary does, before anything changes.
Result<void> check_header(const elf::Header& eh) {
  if (memcmp(eh.ident, elf::MAGIC, 4) != 0) return Error::NOEXEC;
  if (eh.ident[4] != elf::CLASS64 || eh.ident[5] != elf::DATA_LSB || eh.machine != elf::EM_RISCV) return Error::NOEXEC;
  if (eh.type != elf::ET_EXEC && eh.type != elf::ET_DYN) return Error::NOEXEC;
  if (eh.phentsize != sizeof(elf::ProgramHeader)) return Error::NOEXEC;
  if (eh.phnum == 0 || eh.phnum * sizeof(elf::ProgramHeader) > MAX_PHDR_BYTES) return Error::NOEXEC;
  return {};
}

Result<void> check_segments(const elf::ProgramHeader* ph, u16 phnum, u64 file_size, u64 bias) {
  bool any_load = false;
  u64 previous_end = 0;
  for (u16 i = 0; i < phnum; i++) {
    const auto& p = ph[i];
    if (p.type != elf::PT_LOAD) continue;
    any_load = true;
    // Sizes that cannot fit the user half, and file parts larger than the memory parts, are invalid (EINVAL,
    // as Linux's "set_brk can never work" check).
    if (p.filesz > p.memsz || p.memsz > user_layout::USER_END || p.vaddr > user_layout::USER_END - p.memsz ||
        bias > user_layout::USER_END - p.vaddr - p.memsz)
      return Error::INVAL;
    // mmap needs the file offset and the address at the same place in their pages.
    if ((p.vaddr - p.offset) % PAGE_SIZE != 0) return Error::INVAL;
    // The file must hold what the segment says comes from it.
    if (p.offset > file_size || p.filesz > file_size - p.offset) return Error::NOEXEC;
    // Segments below vm.mmap_min_addr (even at address 0) are allowed: everyone is root here, and Linux lets a
    // process with CAP_SYS_RAWIO map there.
    // Segments come in ascending address order and must not overlap (they may share a page).
    if (p.vaddr < previous_end) return Error::NOEXEC;
    previous_end = p.vaddr + p.memsz;
  }
  return any_load ? Result<void>() : Result<void>(Error::NOEXEC);
}

Result<void> map_segments(AddressSpace& space, RefPtr<VmObject> object, const elf::ProgramHeader* ph,
                          u16 phnum, u64 bias, Image& image) {
  for (u16 i = 0; i < phnum; i++) {
    const auto& p = ph[i];
    if (p.type != elf::PT_LOAD || p.memsz == 0) continue;
    Prot prot = segment_prot(p.flags);
    u64 start = bias + p.vaddr;
    u64 page_start = align_down(start, PAGE_SIZE);
    u64 file_end = start + p.filesz;                        // end of the bytes from the file
    u64 mem_end = start + p.memsz;
    u64 file_page_end = align_up(file_end, PAGE_SIZE);
    if (p.filesz > 0) {
      MapRequest req;
      req.address = VirtAddr(page_start);
      req.length = file_page_end - page_start;
      req.prot = prot;
      req.flags = MapFlag::Fixed;
      req.object = object;
      req.object_page = align_down(p.offset, PAGE_SIZE) / PAGE_SIZE;
      TRY(space.map(req));
      // The rest of the last file page belongs to .bss and must read as zeros, not as the file's next bytes: all
      // of it, as Linux's padzero clears it (glibc's ld.so allocates its first link maps there, from _end to the
      // end of the page, and counts on zeros).
      if (mem_end > file_end && file_end % PAGE_SIZE != 0 && has(prot, Prot::Write))
        TRY(space.fill_zero(VirtAddr(file_end), file_page_end - file_end));
    } else {
      file_page_end = page_start;
    }
    if (align_up(mem_end, PAGE_SIZE) > file_page_end) {
      MapRequest req;
      req.address = VirtAddr(file_page_end);
      req.length = align_up(mem_end, PAGE_SIZE) - file_page_end;
      req.prot = prot;
      req.flags = MapFlag::Fixed;
      TRY(space.map(req));
    }
    if (mem_end > image.end) image.end = mem_end;
    if (start > image.start_data) image.start_data = start;
    if (file_end > image.end_data) image.end_data = file_end;
  }
  return {};
}

// Build the initial stack (System V ABI for RISC-V, "Process Initialization"; Linux's create_elf_tables):
//   sp -> argc, argv[0..argc-1], NULL, envp[..], NULL, auxv pairs ending with AT_NULL, then the strings.
Result<u64> build_stack(AddressSpace& space, const Arguments& args, const char* execfn, const Image& image) {
  u64 top = user_layout::STACK_TOP;
  u64 sp = top;
  auto push_bytes = [&](const void* data, usize len) -> Result<u64> {
    sp -= len;
    TRY(space.write(VirtAddr(sp), data, len));
    return sp;
  };
  // Strings, highest first: the file name (AT_EXECFN), then the arguments and environment, chunk by chunk (a
  // preemption point between: up to 6 MiB are written).
  u64 execfn_address = TRY(push_bytes(execfn, strlen(execfn) + 1));
  sp -= args.size;
  u64 strings_address = sp;
  u64 at = sp;
  for (const Arguments::Chunk* c = args.first; c; c = c->next) {
    TRY(space.write(VirtAddr(at), c->data, c->used));
    at += c->used;
    if (c->next && preemption_point(StopOn::Kill)) return Error::INTR;
  }
  u8 random[16];
  random_bytes(random, sizeof(random));
  sp = align_down(sp, 16);
  u64 random_address = TRY(push_bytes(random, sizeof(random)));

  using namespace linux;
  const u64 auxv[][2] = {
      {AT_SYSINFO_EHDR, image.vdso_base},  // first, as Linux's ARCH_DLINFO puts it
      {AT_PHDR, image.phdr_address},  {AT_PHENT, sizeof(elf::ProgramHeader)}, {AT_PHNUM, image.phnum},
      {AT_PAGESZ, PAGE_SIZE},         {AT_BASE, image.interp_base},           {AT_FLAGS, 0},
      {AT_ENTRY, image.entry},        {AT_UID, 0},                            {AT_EUID, 0},
      {AT_GID, 0},                    {AT_EGID, 0},                           {AT_HWCAP, HWCAP_IMAFDC},
      {AT_CLKTCK, 100},               {AT_SECURE, 0},                         {AT_RANDOM, random_address},
      {AT_EXECFN, execfn_address},    {AT_NULL, 0},
  };
  static_assert(array_size(auxv) <= AUXV_PAIRS);
  usize words = 1 + (args.argc + 1) + (args.envc + 1) + array_size(auxv) * 2;
  sp = align_down(sp - words * 8, 16);
  // The table (argc, argv, envp, auxv) goes out through a small buffer: argv and envp may have 750,000 pointers.
  constexpr usize BATCH = 512;
  u64* batch = static_cast<u64*>(kmalloc(BATCH * 8));
  if (!batch) return Error::NOMEM;
  usize filled = 0;
  u64 out = sp;
  Result<void> result;
  auto put = [&](u64 word) {
    batch[filled++] = word;
    if (filled == BATCH) {
      if (!result.is_error()) result = space.write(VirtAddr(out), batch, BATCH * 8);
      out += BATCH * 8;
      filled = 0;
    }
  };
  put(args.argc);
  usize index = 0;
  u64 string = strings_address;
  args.for_each_string([&](const char*, usize len) {
    if (index == args.argc) put(0);  // the end of argv; envp follows
    put(string);
    string += len + 1;
    index++;
  });
  if (index == args.argc) put(0);
  put(0);
  for (const auto& pair : auxv) put(pair[0]), put(pair[1]);
  if (!result.is_error() && filled) result = space.write(VirtAddr(out), batch, filled * 8);
  kfree(batch);
  TRY(result);
  return sp;
}

struct LoadResult {
  OwnPtr<AddressSpace> space;
  u64 entry = 0;
  u64 sp = 0;
};

// An ELF file being loaded (the program or its interpreter): the file, its header and its program headers.
struct ElfFile {
  RefPtr<File> file;
  elf::Header header{};
  elf::ProgramHeader* ph = nullptr;  // header.phnum entries, owned
  u64 size = 0;                      // of the file, in bytes

  ElfFile() = default;
  ~ElfFile() { kfree(ph); }
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  usize phdr_bytes() const { return header.phnum * sizeof(elf::ProgramHeader); }
};

// Read the program headers of a file whose ELF header has been checked.
Result<void> read_program_headers(ElfFile& elf) {
  linux::stat st{};
  TRY(elf.file->stat(st));
  elf.size = static_cast<u64>(st.st_size);
  if (elf.header.phoff > elf.size || elf.phdr_bytes() > elf.size - elf.header.phoff) return Error::NOEXEC;
  elf.ph = static_cast<elf::ProgramHeader*>(kmalloc(elf.phdr_bytes()));
  if (!elf.ph) return Error::NOMEM;
  return read_exact(*elf.file, elf.ph, elf.phdr_bytes(), elf.header.phoff);
}

// The lowest page and the end of the PT_LOAD segments (the span an ET_DYN file needs in one piece).
void load_span(const ElfFile& elf, u64& low, u64& high) {
  low = ~0ull, high = 0;
  for (u16 i = 0; i < elf.header.phnum; i++) {
    const auto& p = elf.ph[i];
    if (p.type != elf::PT_LOAD || p.memsz == 0) continue;
    if (align_down(p.vaddr, PAGE_SIZE) < low) low = align_down(p.vaddr, PAGE_SIZE);
    if (p.vaddr + p.memsz > high) high = p.vaddr + p.memsz;
  }
}

// PT_INTERP: the program names its dynamic loader (/lib/ld-linux-riscv64-lp64d.so.1). Open it and read its
// headers, with Linux's errors: a path that is not a NUL-terminated string is ENOEXEC, a loader that cannot be
// opened gives its open error (ENOENT, with a kernel line naming it: "No such file or directory" alone would
// send a student looking for the program), one shorter than an ELF header EIO, one that is not a riscv64 ELF
// ELIBBAD.
Result<void> open_interpreter(const ElfFile& program, const elf::ProgramHeader& p, const char* execfn,
                              ElfFile& interp) {
  char path[256];
  if (p.filesz < 2 || p.filesz > sizeof(path) || p.offset > program.size || p.filesz > program.size - p.offset)
    return Error::NOEXEC;
  TRY(read_exact(*program.file, path, p.filesz, p.offset));
  if (path[p.filesz - 1] != '\0') return Error::NOEXEC;
  auto file = vfs_open_for_exec(current_thread()->m_fs->working_directory().get(), path);
  if (file.is_error()) {
    LOG_INFO("exec %s: cannot open its interpreter %s: %s", execfn, path, error_name(file.error()));
    return file.error();
  }
  interp.file = file.value();
  usize got = TRY(interp.file->read_at(IoBuffer::kernel(&interp.header, sizeof(interp.header)), sizeof(interp.header), 0));
  const elf::Header& eh = interp.header;
  if (got != sizeof(eh)) return Error::IO;  // as Linux's elf_read
  if (check_header(eh).is_error()) {
    LOG_INFO("exec %s: its interpreter %s is not a riscv64 ELF file", execfn, path);
    return Error::LIBBAD;
  }
  return read_program_headers(interp);
}

// Map the interpreter where mmap would put it, a random number of pages lower (Linux maps it with mmap(NULL)
// below a randomized mmap base). Returns its load bias: AT_BASE, the address of its ELF header.
Result<u64> map_interpreter(AddressSpace& space, const ElfFile& interp, u64& entry) {
  u64 low, high;
  load_span(interp, low, high);
  if (high <= low) return Error::LIBBAD;
  u64 span = align_up(high, PAGE_SIZE) - low;
  u64 slide = (random_u64() % INTERP_RANDOM_PAGES) * PAGE_SIZE;
  u64 base = TRY(space.find_free_range(span + INTERP_RANDOM_PAGES * PAGE_SIZE)).get() + slide;
  u64 bias = interp.header.type == elf::ET_DYN ? base - low : 0;
  TRY(check_segments(interp.ph, interp.header.phnum, interp.size, bias));
  Image image;
  TRY(map_segments(space, TRY(interp.file->mmap_object()), interp.ph, interp.header.phnum, bias, image));
  entry = bias + interp.header.entry;
  return bias;
}

// Load the ELF in `file` (and its interpreter, if it names one) into a new address space with its stack. On
// error nothing is left behind; past_no_return tells whether the error came where Linux is past its point of no
// return (mapping the new image: segments, stack, interpreter, vDSO, arguments), so that the caller dies as there.
Result<LoadResult> load_elf(RefPtr<File> file, const elf::Header& eh, const Arguments& args, const char* execfn,
                            bool& past_no_return) {
  ElfFile program;
  program.file = std::move(file);
  program.header = eh;
  TRY(read_program_headers(program));
  const elf::ProgramHeader* ph = program.ph;

  Image image;
  ElfFile interp;
  for (u16 i = 0; i < eh.phnum; i++) {
    if (ph[i].type == elf::PT_INTERP && !interp.file) TRY(open_interpreter(program, ph[i], execfn, interp));
    if (ph[i].type == elf::PT_GNU_STACK) image.exec_stack = ph[i].flags & elf::PF_X;
  }
  u64 bias = 0;
  if (eh.type == elf::ET_DYN) bias = PIE_BASE + (random_u64() % PIE_RANDOM_PAGES) * PAGE_SIZE;
  TRY(check_segments(ph, eh.phnum, program.size, bias));

  RefPtr<VmObject> object = TRY(program.file->mmap_object());
  OwnPtr<AddressSpace> space = TRY(AddressSpace::create());  // freed on every error return below
  past_no_return = true;
  space->set_mmap_layout(mm_space_limits().stack);  // (the caller's RLIMIT_STACK is the new program's)
  TRY(map_segments(*space, object, ph, eh.phnum, bias, image));
  image.entry = bias + eh.entry;
  image.phnum = eh.phnum;
  // Where the program headers are in memory: PT_PHDR if present, else inside the first segment that maps them.
  for (u16 i = 0; i < eh.phnum; i++) {
    if (ph[i].type == elf::PT_PHDR) image.phdr_address = bias + ph[i].vaddr;
  }
  for (u16 i = 0; i < eh.phnum && !image.phdr_address; i++) {
    const auto& p = ph[i];
    if (p.type == elf::PT_LOAD && eh.phoff >= p.offset && eh.phoff + program.phdr_bytes() <= p.offset + p.filesz)
      image.phdr_address = bias + p.vaddr + (eh.phoff - p.offset);
  }
  space->set_brk_base(VirtAddr(align_up(image.end, PAGE_SIZE)),
                      image.end_data > image.start_data ? image.end_data - image.start_data : 0);

  // The stack holds the strings and the tables, and INITIAL_STACK more below them, within RLIMIT_STACK but
  // never less than what it holds (Linux's setup_arg_pages: stack_expand). The strings take up to 6 MiB.
  u64 holds = align_up(args.size + strlen(execfn) + 1 + 64 + (args.argc + args.envc + 3 + 2 * AUXV_PAIRS) * 8, PAGE_SIZE);
  u64 stack_limit = align_down(mm_space_limits().stack, PAGE_SIZE);
  u64 initial = holds + INITIAL_STACK < stack_limit ? holds + INITIAL_STACK : stack_limit;
  if (initial < holds) initial = holds;
  MapRequest stack;
  stack.address = VirtAddr(user_layout::STACK_TOP - initial);
  stack.length = initial;
  stack.prot = image.exec_stack ? Prot::All : Prot::ReadWrite;
  stack.flags = MapFlag::Fixed | MapFlag::Stack;
  TRY(space->map(stack));
  // The interpreter is mapped before the vDSO, as Linux does: the vDSO lands below it.
  u64 start = image.entry;
  if (interp.file) image.interp_base = TRY(map_interpreter(*space, interp, start));
  image.vdso_base = TRY(vdso_map(*space)).get();
  u64 sp = TRY(build_stack(*space, args, execfn, image));
  return LoadResult{std::move(space), start, sp};
}

// Switch the calling process to the loaded image. Cannot fail.
void commit(Process* p, LoadResult& loaded, const char* path, const Arguments& args, RunningImage& executable) {
  RefPtr<AddressSpace> old;
  RunningImage old_executable;  // dropped after the lock: the last reference may free the inode
  {
    SpinlockGuard guard(g_process_lock);
    old = std::move(p->m_space);
    p->m_space = RefPtr<AddressSpace>::adopt(loaded.space.leak());
    p->m_membarrier_state.store(0, MemoryOrder::Relaxed);  // (registrations belong to the old memory)
    old_executable = std::move(p->m_executable);
    p->m_executable = std::move(executable);
    const char* base = strrchr(path, '/');
    base = base ? base + 1 : path;
    strncpy(p->m_name, base, PROCESS_NAME_MAX - 1);
    p->m_name[PROCESS_NAME_MAX - 1] = '\0';
    strncpy(p->m_exe_path, path, PROCESS_PATH_MAX - 1);
    usize n = 0, i = 0;
    args.for_each_string([&](const char* a, usize len) {
      if (i++ >= args.argc || n == PROCESS_PATH_MAX) return;
      len++;
      if (len > PROCESS_PATH_MAX - n) len = PROCESS_PATH_MAX - n;
      memcpy(p->m_cmdline + n, a, len);
      n += len;
    });
    p->m_cmdline_length = n;
  }
  p->m_space->activate();
  process_release_space(p, std::move(old));  // freed unless another process shares it (CLONE_VM)
  // The descriptor table: a table another process shares (clone's CLONE_FILES) is copied first, so that closing
  // the close-on-exec descriptors leaves the other's alone (Linux's unshare_files). Past the point of no return
  // a failure kills the process, as Linux's does.
  if (Thread* self = current_thread(); self->m_files->ref_count() > 1) {
    auto copy = self->m_files->clone();
    if (copy.is_error()) {
      signal_kill_process(p, linux::SIGKILL);
    } else {
      RefPtr<FdTable> shared;  // dropped after the lock
      SpinlockGuard guard(g_process_lock);
      shared = std::move(self->m_files);
      self->m_files = std::move(copy.value());
    }
  }
  current_thread()->m_files->close_on_exec();
  // Handlers go back to SIG_DFL (their code is gone). Only a table shared with another process (CLONE_SIGHAND)
  // needs memory, for a copy; should that fail, the process cannot go on (Linux kills it too).
  if (signal_exec(p, current_thread()).is_error()) signal_kill_process(p, linux::SIGKILL);
  p->m_prctl.keep_capabilities = false;  // prctl(2): PR_SET_KEEPCAPS does not survive execve
  timers_exec(*p);                       // POSIX timers do not either; setitimer's do
  // A new program: its missing system calls are reported again (once per program and number).
  for (auto& word : p->m_missing_syscalls_logged) word = 0;

  // Fresh registers: only pc and sp matter; a0 = 0 tells glibc's _start there is no dynamic-linker cleanup.
  Thread* t = current_thread();
  *t->m_trap_frame = TrapFrame::for_new_program(loaded.entry, loaded.sp);
  fpu_start_program(t->m_fpu, *t->m_trap_frame);  // every floating-point register zero
}

// The whole of execve once the arguments are in the kernel. depth counts #! indirections.
Result<void> do_exec(Process* p, const char* path, Arguments& args, int depth) {
  RefPtr<File> file = TRY(vfs_open_for_exec(current_thread()->m_fs->working_directory().get(), path));
  // ETXTBSY if the file (a program or a script) is open for writing. A program keeps it from being written
  // for as long as it runs (Process::m_executable); a script only while exec reads it, as on Linux.
  RunningImage image = TRY(RunningImage::take(*file->inode()));
  u8 head[256] = {};
  usize got = TRY(file->read_at(IoBuffer::kernel(head, sizeof(head)), sizeof(head), 0));
  if (got >= 2 && head[0] == '#' && head[1] == '!') {
    // A script: run its interpreter with (interpreter, [one argument,] script path, argv[1...]).
    if (depth >= MAX_INTERPRETER_DEPTH) return Error::LOOP;
    usize i = 2, line_end = 2;
    while (line_end < got && head[line_end] != '\n') line_end++;
    if (line_end == got && got == sizeof(head)) return Error::NOEXEC;
    while (i < line_end && (head[i] == ' ' || head[i] == '\t')) i++;
    usize interp_start = i;
    while (i < line_end && head[i] != ' ' && head[i] != '\t') i++;
    usize interp_end = i;
    while (i < line_end && (head[i] == ' ' || head[i] == '\t')) i++;
    usize arg_start = i, arg_end = line_end;
    while (arg_end > arg_start && (head[arg_end - 1] == ' ' || head[arg_end - 1] == '\t' || head[arg_end - 1] == '\r'))
      arg_end--;
    if (interp_end == interp_start) return Error::NOEXEC;
    char interpreter[256];
    memcpy(interpreter, head + interp_start, interp_end - interp_start);
    interpreter[interp_end - interp_start] = '\0';
    Arguments next;
    next.budget = args.budget;  // (Linux: the same limit, with the pointers counted for the caller's argv)
    TRY(next.add(interpreter, strlen(interpreter)));
    usize new_argc = 1;
    if (arg_end > arg_start) {
      TRY(next.add(reinterpret_cast<const char*>(head + arg_start), arg_end - arg_start));
      new_argc++;
    }
    TRY(next.add(path, strlen(path)));
    new_argc++;
    usize k = 0;
    Result<void> copied;
    args.for_each_string([&](const char* s, usize len) {
      if (k++ > 0 && !copied.is_error()) copied = next.add(s, len);
    });
    TRY(copied);
    next.argc = new_argc + (args.argc > 0 ? args.argc - 1 : 0);
    next.envc = args.envc;
    return do_exec(p, interpreter, next, depth + 1);
  }
  if (got < sizeof(elf::Header)) return Error::NOEXEC;
  elf::Header eh;
  memcpy(&eh, head, sizeof(eh));
  TRY(check_header(eh));
  bool past_no_return = false;
  auto load = load_elf(std::move(file), eh, args, path, past_no_return);
  if (load.is_error()) {
    // Linux has already thrown the old image away where the new one fails to map (RLIMIT_AS, no memory): the
    // process dies of SIGSEGV (bprm_execve's force_fatal_sig). Here the old image still exists, but a program
    // cannot count on it, so it dies the same way (the caller's error is never seen).
    if (past_no_return) {
      LOG_INFO("pid %d (%s): exec of %s failed after the point of no return (%s): killed with SIGSEGV", p->m_pid,
               p->m_name, path, error_name(load.error()));
      signal_kill_process(p, linux::SIGSEGV);
    }
    return load.error();
  }
  LoadResult loaded = load.release_value();
  // The point of no return. The other threads exit first (Linux's de_thread); then what the old program left
  // in memory for the kernel to do at a thread's end is done (the robust futex list; the CLONE_CHILD_CLEARTID
  // word is zeroed if another process shares the memory (CLONE_VM), else forgotten: Linux's exec_mm_release).
  TRY(process_exec_kill_other_threads());
  futex_thread_release(current_thread(), p->m_space && p->m_space->ref_count() > 1);
  commit(p, loaded, path, args, image);
  return {};
}

// init's first exec, run by init's own thread before it first enters user mode.
struct FirstExec {
  char path[PROCESS_PATH_MAX];
  Arguments args;
};

void first_exec_entry(void* arg) {
  auto* first = static_cast<FirstExec*>(arg);
  Process* p = current_process();
  auto r = do_exec(p, first->path, first->args, 0);
  if (r.is_error()) panic("cannot run init %s: %s", first->path, error_name(r.error()));
  LOG_INFO("started %s as pid %d", first->path, p->m_pid);
  delete first;
  enter_user_mode(current_thread()->m_trap_frame);
}

}  // namespace

Result<u64> sys_execve(const SyscallArgs& a) {
  Process* p = current_process();
  char path[PROCESS_PATH_MAX];
  TRY(copy_string_from_user(path, a.a0, sizeof(path)));
  Arguments args;
  // As Linux's do_execveat_common: count both arrays, set the limit, then copy (the path counts too).
  usize argc = TRY(count_strings(a.a1));
  usize envc = TRY(count_strings(a.a2));
  args.budget = TRY(argument_budget(argc, envc, strlen(path) + 1));
  TRY(copy_strings(args, a.a1, argc));
  args.argc = argc;
  if (args.argc == 0) {
    // Linux 5.18 and later: a program started with no arguments gets one, the empty string, so that argv[0]
    // exists and argv[1] is the terminating NULL (a program that skips argv[0] meets no environment strings).
    LOG_INFO("pid %d (%s): execve of %s with an empty argv: the empty string added", p->m_pid, p->m_name, path);
    TRY(args.add("", 0));
    args.argc = 1;
  }
  TRY(copy_strings(args, a.a2, envc));
  args.envc = envc;
  TRY(do_exec(p, path, args, 0));
  return 0;  // the new program starts with a0 = 0, as on Linux
}

RAW_SYSCALL(sys_execve);  // the raw entry point trap.S calls (kernel/syscall.h)

extern "C" void thread_trampoline();

void exec_prepare_first(Process* init, const char* path, const char* const* argv, usize argc) {
  auto* first = new FirstExec();
  ASSERT(first);
  strncpy(first->path, path, sizeof(first->path) - 1);
  for (usize i = 0; i < argc; i++) MUST(first->args.add(argv[i], strlen(argv[i])));
  first->args.argc = argc;
  const char* env[] = {"PATH=/bin:/sbin", "HOME=/", "TERM=vt100"};
  for (const char* e : env) MUST(first->args.add(e, strlen(e)));
  first->args.envc = array_size(env);
  // Start as a kernel-mode function (like a kernel thread) that does the exec, then drops to user mode.
  Thread* t = init->m_thread;
  t->m_context.ra = reinterpret_cast<u64>(&thread_trampoline);
  t->m_context.sp = reinterpret_cast<u64>(t->m_trap_frame);
  t->m_context.s[0] = reinterpret_cast<u64>(&first_exec_entry);
  t->m_context.s[1] = reinterpret_cast<u64>(first);
}
