/* Broken programs for execve: a tiny valid ELF (one PT_LOAD whose code exits 42) with a few of its header
 * fields set to edge values or its bytes flipped, a second program header that overlaps or points outside
 * the file, a PT_INTERP naming odd files, a truncated file; or a "#!" script whose interpreter is missing,
 * itself, or a line without an end. The loader must refuse each cleanly (ENOEXEC, EINVAL, ENOENT, ELOOP,
 * E2BIG...) or, past the point of no return, kill the new program with a signal; never more.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include "fuzz.h"

#define CODE_OFFSET (sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr))
#define BASE 0x10000ull

static u64 g_image_words[512];
static unsigned char* const g_image = (unsigned char*)g_image_words;

/* The valid program: ELF header, up to three program headers, then the code. */
static size_t valid_program(void) {
  memset(g_image, 0, sizeof g_image_words);
  Elf64_Ehdr* eh = (Elf64_Ehdr*)g_image;
  memcpy(eh->e_ident, ELFMAG, SELFMAG);
  eh->e_ident[EI_CLASS] = ELFCLASS64;
  eh->e_ident[EI_DATA] = ELFDATA2LSB;
  eh->e_ident[EI_VERSION] = EV_CURRENT;
  eh->e_type = ET_EXEC;
  eh->e_machine = EM_RISCV;
  eh->e_version = EV_CURRENT;
  eh->e_entry = BASE + CODE_OFFSET;
  eh->e_phoff = sizeof(Elf64_Ehdr);
  eh->e_ehsize = sizeof(Elf64_Ehdr);
  eh->e_phentsize = sizeof(Elf64_Phdr);
  eh->e_phnum = 1;
  Elf64_Phdr* ph = (Elf64_Phdr*)(g_image + sizeof(Elf64_Ehdr));
  ph->p_type = PT_LOAD;
  ph->p_flags = PF_R | PF_X;
  ph->p_offset = 0;
  ph->p_vaddr = ph->p_paddr = BASE;
  ph->p_filesz = ph->p_memsz = CODE_OFFSET + 12;
  ph->p_align = 4096;
  static const u32 code[] = {
      0x02a00513, /* li a0, 42 */
      0x05d00893, /* li a7, 93 (exit) */
      0x00000073, /* ecall */
  };
  memcpy(g_image + CODE_OFFSET, code, sizeof code);
  memcpy(g_image + CODE_OFFSET + 16, "/tmp/interp\0/bin/true\0", 22);
  return CODE_OFFSET + 64;
}

static u64 odd_value(struct fz* fz) {
  return fz_chance(&fz->rng, 50) ? fz_edge_value(fz) : fz_edge_address(fz);
}

static void mutate_phdr(struct fz* fz, Elf64_Phdr* ph) {
  static const u32 types[] = {PT_LOAD, PT_INTERP, PT_GNU_STACK, PT_TLS, PT_DYNAMIC, PT_PHDR, PT_NOTE,
                              PT_GNU_RELRO, PT_NULL, 0x70000003 /* PT_RISCV_ATTRIBUTES */, 0xffffffff};
  switch (fz_below(&fz->rng, 8)) {
    case 0: ph->p_type = types[fz_below(&fz->rng, sizeof types / sizeof types[0])]; break;
    case 1: ph->p_offset = odd_value(fz); break;
    case 2: ph->p_vaddr = odd_value(fz); break;
    case 3: ph->p_filesz = odd_value(fz); break;
    case 4: ph->p_memsz = odd_value(fz); break;
    case 5: ph->p_align = odd_value(fz); break;
    case 6: ph->p_flags = (u32)fz_next(&fz->rng); break;
    default: ph->p_vaddr += fz_below(&fz->rng, 4096); /* misaligned with its offset */
  }
}

static size_t broken_elf(struct fz* fz) {
  size_t size = valid_program();
  Elf64_Ehdr* eh = (Elf64_Ehdr*)g_image;
  Elf64_Phdr* ph = (Elf64_Phdr*)(g_image + sizeof(Elf64_Ehdr));
  if (fz_chance(&fz->rng, 40)) {
    /* A second and third header: copies of the first, then mutated (overlaps, an interpreter...). */
    eh->e_phnum = (Elf64_Half)(2 + fz_below(&fz->rng, 2));
    for (int i = 1; i < eh->e_phnum; i++) ph[i] = ph[0];
    if (fz_chance(&fz->rng, 50)) {
      ph[1].p_type = PT_INTERP;
      ph[1].p_offset = CODE_OFFSET + 16 + (fz_chance(&fz->rng, 50) ? 0 : 12);
      ph[1].p_filesz = fz_chance(&fz->rng, 70) ? 12 : odd_value(fz);
    }
  }
  for (unsigned n = 1 + (unsigned)fz_below(&fz->rng, 3); n > 0; n--) {
    switch (fz_below(&fz->rng, 10)) {
      case 0: g_image[fz_below(&fz->rng, CODE_OFFSET)] ^= (unsigned char)(1u << fz_below(&fz->rng, 8)); break;
      case 1: eh->e_entry = odd_value(fz); break;
      case 2: eh->e_phoff = fz_chance(&fz->rng, 50) ? odd_value(fz) : fz_below(&fz->rng, size + 64); break;
      case 3: eh->e_phnum = (Elf64_Half)(fz_chance(&fz->rng, 50) ? fz_below(&fz->rng, 70) : 0xffff); break;
      case 4: eh->e_phentsize = (Elf64_Half)fz_below(&fz->rng, 128); break;
      case 5: eh->e_type = (Elf64_Half)(fz_chance(&fz->rng, 50) ? ET_DYN : fz_below(&fz->rng, 8)); break;
      case 6: size = fz_below(&fz->rng, size); break; /* truncated */
      default: mutate_phdr(fz, &ph[fz_below(&fz->rng, eh->e_phnum < 3 ? eh->e_phnum : 3)]);
    }
  }
  return size;
}

static size_t broken_script(struct fz* fz) {
  static const char* const scripts[] = {
      "#!/nonexistent\n", "#!\n", "#!", "#! /bin/true arg\n", "#!/bin/true", "#!/tmp\n", "#!/dev/null\n",
      "#!/proc/self/exe\n",
  };
  char* out = (char*)g_image;
  if (fz_chance(&fz->rng, 30)) {
    /* the script runs itself: the kernel must give up (ELOOP) instead of recursing */
    char* q = fz_put_str(out, out + 200, "#!");
    q = fz_put_str(q, out + 200, fz->sandbox);
    q = fz_put_str(q, out + 200, "/prog\n");
    return (size_t)(q - out);
  }
  if (fz_chance(&fz->rng, 20)) {
    memcpy(out, "#!/", 3);
    memset(out + 3, 'a', sizeof g_image_words - 3); /* a first line longer than the kernel reads */
    return sizeof g_image_words;
  }
  const char* s = scripts[fz_below(&fz->rng, sizeof scripts / sizeof scripts[0])];
  size_t n = strlen(s);
  memcpy(out, s, n);
  return n;
}

long fz_write_bad_program(struct fz* fz, const char* path) {
  size_t size;
  switch (fz_below(&fz->rng, 10)) {
    case 0: size = 0; break;
    case 1:
      size = 1 + fz_below(&fz->rng, 256);
      for (size_t i = 0; i < size; i++) g_image[i] = (unsigned char)fz_next(&fz->rng);
      break;
    case 2:
    case 3: size = broken_script(fz); break;
    default: size = broken_elf(fz);
  }
  /* A new file each time: a child may still be running the last one (and writing to a running program is
   * another matter, issue 14's ETXTBSY). */
  FZ_SYS3(SYS_unlinkat, -100 /* AT_FDCWD */, path, 0);
  long fd = FZ_SYS4(SYS_openat, -100, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (fd < 0) return fd;
  long r = FZ_SYS3(SYS_write, fd, g_image, size);
  FZ_SYS1(SYS_close, fd);
  return r < 0 ? r : 0;
}
