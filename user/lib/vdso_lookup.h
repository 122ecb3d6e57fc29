/* vdso_lookup: find a function in the vDSO the way a C library does, by name and version.
 *
 * The kernel maps the vDSO (an ELF shared object) into every process and passes its address in the auxiliary
 * vector (AT_SYSINFO_EHDR). glibc reads its dynamic section, then looks each function up in a hash table of
 * the dynamic symbols and checks the symbol's version (LINUX_4.15 on riscv64) against the version definitions.
 * This header does the same, through both hash tables a vDSO carries (the GNU one glibc prefers and the System
 * V one), so a test can tell that glibc's lookup would succeed, and call the functions directly.
 *
 * Header-only and free of the C library (it includes only <elf.h>'s types): the static-PIE test program, which
 * has no C library, uses it too.
 */
#ifndef VDSO_LOOKUP_H
#define VDSO_LOOKUP_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

struct vdso_image {
  uintptr_t base;              /* the ELF header (AT_SYSINFO_EHDR) */
  uintptr_t bias;              /* added to the image's link-time addresses */
  const Elf64_Ehdr* ehdr;
  const Elf64_Phdr* load;      /* the PT_LOAD segment */
  const Elf64_Sym* symtab;
  const char* strtab;
  const Elf64_Word* sysv_hash; /* DT_HASH: nbucket, nchain, buckets, chains */
  const Elf32_Word* gnu_hash;  /* DT_GNU_HASH */
  const Elf64_Half* versym;
  const Elf64_Verdef* verdef;
  const char* soname;
};

static inline int vl_streq(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* The hash functions of the two tables (System V ABI "Hash Table"; the GNU hash is DJB's). */
static inline uint32_t vl_sysv_hash(const char* name) {
  uint32_t h = 0;
  for (; *name; name++) {
    h = (h << 4) + (unsigned char)*name;
    uint32_t g = h & 0xf0000000u;
    if (g) h ^= g >> 24;
    h &= ~g;
  }
  return h;
}
static inline uint32_t vl_gnu_hash(const char* name) {
  uint32_t h = 5381;
  for (; *name; name++) h = h * 33 + (unsigned char)*name;
  return h;
}

/* Read the image's headers and dynamic section. Returns NULL, or what is wrong with it. */
static inline const char* vdso_open(struct vdso_image* v, uintptr_t base) {
  *v = (struct vdso_image){0};
  if (!base) return "no vDSO (AT_SYSINFO_EHDR is 0)";
  const Elf64_Ehdr* eh = (const Elf64_Ehdr*)base;
  const unsigned char* id = eh->e_ident;
  if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F') return "no ELF magic";
  if (id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELFDATA2LSB) return "not 64-bit little-endian";
  if (eh->e_type != ET_DYN) return "not a shared object (ET_DYN)";
  if (eh->e_machine != EM_RISCV) return "not RISC-V";
  if (eh->e_phentsize != sizeof(Elf64_Phdr)) return "odd program header size";
  v->base = base;
  v->ehdr = eh;
  const Elf64_Phdr* ph = (const Elf64_Phdr*)(base + eh->e_phoff);
  const Elf64_Phdr* dynamic = NULL;
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_type == PT_LOAD && !v->load) v->load = &ph[i];
    if (ph[i].p_type == PT_DYNAMIC) dynamic = &ph[i];
  }
  if (!v->load) return "no PT_LOAD";
  if (!dynamic) return "no PT_DYNAMIC";
  /* The ELF header is the first byte of the segment (glibc's setup_vdso relies on it). */
  v->bias = base - v->load->p_vaddr;
  uint64_t soname = 0;
  int has_strtab = 0;
  for (const Elf64_Dyn* d = (const Elf64_Dyn*)(v->bias + dynamic->p_vaddr); d->d_tag != DT_NULL; d++) {
    uintptr_t at = v->bias + d->d_un.d_ptr;
    switch (d->d_tag) {
      case DT_SYMTAB: v->symtab = (const Elf64_Sym*)at; break;
      case DT_STRTAB: v->strtab = (const char*)at; has_strtab = 1; break;
      case DT_HASH: v->sysv_hash = (const Elf64_Word*)at; break;
      case DT_GNU_HASH: v->gnu_hash = (const Elf32_Word*)at; break;
      case DT_VERSYM: v->versym = (const Elf64_Half*)at; break;
      case DT_VERDEF: v->verdef = (const Elf64_Verdef*)at; break;
      case DT_SONAME: soname = d->d_un.d_val; break;
      case DT_REL: case DT_RELA: case DT_TEXTREL: case DT_JMPREL: case DT_NEEDED:
        /* Nothing may need relocating or loading: no one relocates the vDSO (ld may leave an empty DT_RELA). */
        if (d->d_tag != DT_RELA) return "has relocations or needs a library";
        break;
    }
  }
  if (!v->symtab || !has_strtab) return "no dynamic symbol table";
  if (!v->sysv_hash && !v->gnu_hash) return "no symbol hash table";
  if (!v->versym || !v->verdef) return "no symbol versions";
  if (soname) v->soname = v->strtab + soname;
  return NULL;
}

/* Whether dynamic symbol `index` is a defined function whose version is `version`. */
static inline int vl_symbol_matches(const struct vdso_image* v, uint32_t index, const char* name, const char* version) {
  const Elf64_Sym* s = &v->symtab[index];
  if (!vl_streq(v->strtab + s->st_name, name)) return 0;
  if (s->st_shndx == SHN_UNDEF || ELF64_ST_TYPE(s->st_info) != STT_FUNC) return 0;
  if (ELF64_ST_BIND(s->st_info) != STB_GLOBAL && ELF64_ST_BIND(s->st_info) != STB_WEAK) return 0;
  Elf64_Half want = v->versym[index] & 0x7fff;
  uint32_t version_hash = vl_sysv_hash(version);
  for (const Elf64_Verdef* d = v->verdef;; d = (const Elf64_Verdef*)((const char*)d + d->vd_next)) {
    if (d->vd_ndx == want) {
      const Elf64_Verdaux* aux = (const Elf64_Verdaux*)((const char*)d + d->vd_aux);
      return d->vd_hash == version_hash && vl_streq(v->strtab + aux->vda_name, version);
    }
    if (!d->vd_next) return 0;
  }
}

/* Look the symbol up through the System V hash table: bucket[hash % nbucket], then the chain. */
static inline const Elf64_Sym* vdso_lookup_sysv(const struct vdso_image* v, const char* name, const char* version) {
  if (!v->sysv_hash) return NULL;
  uint32_t nbucket = v->sysv_hash[0];
  const Elf64_Word* bucket = v->sysv_hash + 2;
  const Elf64_Word* chain = bucket + nbucket;
  for (uint32_t i = bucket[vl_sysv_hash(name) % nbucket]; i != STN_UNDEF; i = chain[i])
    if (vl_symbol_matches(v, i, name, version)) return &v->symtab[i];
  return NULL;
}

/* Look the symbol up through the GNU hash table: a Bloom filter, then bucket[hash % nbuckets] starts a run of
 * symbols whose hashes (low bit cleared) are stored alongside; the run ends at the first odd stored hash. */
static inline const Elf64_Sym* vdso_lookup_gnu(const struct vdso_image* v, const char* name, const char* version) {
  if (!v->gnu_hash) return NULL;
  uint32_t nbuckets = v->gnu_hash[0], symoffset = v->gnu_hash[1], bloom_size = v->gnu_hash[2];
  uint32_t bloom_shift = v->gnu_hash[3];
  const uint64_t* bloom = (const uint64_t*)(v->gnu_hash + 4);
  const uint32_t* buckets = (const uint32_t*)(bloom + bloom_size);
  const uint32_t* hashes = buckets + nbuckets;
  uint32_t h = vl_gnu_hash(name);
  uint64_t word = bloom[(h / 64) % bloom_size];
  uint64_t mask = (1ull << (h % 64)) | (1ull << ((h >> bloom_shift) % 64));
  if ((word & mask) != mask) return NULL;
  uint32_t i = buckets[h % nbuckets];
  if (i < symoffset) return NULL;
  for (;; i++) {
    uint32_t stored = hashes[i - symoffset];
    if ((stored | 1) == (h | 1) && vl_symbol_matches(v, i, name, version)) return &v->symtab[i];
    if (stored & 1) return NULL;
  }
}

/* The address of the function `name` of version `version`, or NULL. Both tables must agree (each lookup
 * must find the same symbol, when the table exists). */
static inline void* vdso_function(const struct vdso_image* v, const char* name, const char* version) {
  const Elf64_Sym* a = vdso_lookup_gnu(v, name, version);
  const Elf64_Sym* b = vdso_lookup_sysv(v, name, version);
  if ((v->gnu_hash && !a) || (v->sysv_hash && !b) || (a && b && a != b)) return NULL;
  const Elf64_Sym* s = a ? a : b;
  if (!s || s->st_value < v->load->p_vaddr || s->st_value >= v->load->p_vaddr + v->load->p_memsz) return NULL;
  return (void*)(v->bias + s->st_value);
}

#endif
