// The runtime of the undefined-behaviour sanitizer for the debug kernel (kernel-debug.elf, built with
// -fsanitize=undefined: kernel/CMakeLists.txt). GCC instruments every signed overflow, bad shift, out-of-bounds
// index, misaligned or null pointer use, invalid bool or enum load, and unreachable point; when one happens,
// the instrumented code calls one of the __ubsan_handle_* functions below with a description of the check
// (its source location, the types involved) and the values. Each handler turns it into a kernel panic with a
// sentence and a backtrace (kernel/panic.cpp): in this kernel undefined behaviour is a bug to stop at.
//
// The structures are GCC's (libsanitizer/ubsan/ubsan_handlers.h, ubsan_value.h); only the fields used are read.
// The release kernel is built without the instrumentation, and without this file's symbols being used.
#include "kernel/panic.h"
#include "lib/assert.h"
#include "lib/format.h"
#include "lib/types.h"

namespace {

struct SourceLocation {
  const char* file;
  u32 line;
  u32 column;
};

struct TypeDescriptor {
  u16 kind;  // 0 integer, 1 float, 0xffff unknown
  u16 info;  // integers: bit 0 signed, bits 1.. log2 of the width in bits
  char name[1];
};

struct TypeMismatchData {
  SourceLocation location;
  const TypeDescriptor* type;
  u8 log_alignment;
  u8 type_check_kind;
};

struct OverflowData {
  SourceLocation location;
  const TypeDescriptor* type;
};

struct ShiftOutOfBoundsData {
  SourceLocation location;
  const TypeDescriptor* lhs_type;
  const TypeDescriptor* rhs_type;
};

struct OutOfBoundsData {
  SourceLocation location;
  const TypeDescriptor* array_type;
  const TypeDescriptor* index_type;
};

struct LocationOnly {
  SourceLocation location;
};

struct InvalidValueData {
  SourceLocation location;
  const TypeDescriptor* type;
};

struct NonNullArgData {
  SourceLocation location;
  SourceLocation attribute_location;
  int argument_index;
};

struct InvalidBuiltinData {
  SourceLocation location;
  u8 kind;
};

// What the instrumented code was doing, by TypeMismatchData::type_check_kind (ubsan_handlers.cpp).
const char* const CHECK_KINDS[] = {"load of",        "store to",           "reference binding to",
                                   "member access within", "member call on",  "constructor call on",
                                   "downcast of",    "downcast of",        "upcast of",
                                   "cast to virtual base of", "_Nonnull binding to", "dynamic operation on"};

bool is_signed(const TypeDescriptor* t) { return t && t->kind == 0 && (t->info & 1); }

// A value as the sanitizer passes it: in the handle itself when it fits 64 bits (all the kernel's integers).
i64 as_signed(const TypeDescriptor* t, u64 handle) {
  unsigned bits = t && t->kind == 0 ? 1u << (t->info >> 1) : 64;
  if (bits >= 64) return static_cast<i64>(handle);
  u64 sign = 1ull << (bits - 1);
  return static_cast<i64>((handle ^ sign) - sign);
}

void format_value(char* buf, usize size, const TypeDescriptor* t, u64 handle) {
  if (is_signed(t)) format(buf, size, "%lld", static_cast<long long>(as_signed(t, handle)));
  else format(buf, size, "%llu", static_cast<unsigned long long>(handle));
}

[[noreturn]] void report(const SourceLocation& where, const char* what) {
  panic("undefined behaviour (UBSan): %s, at %s:%u:%u", what, where.file ? where.file : "?", where.line, where.column);
}

[[noreturn]] void overflow(const OverflowData* d, const char* op, u64 lhs, u64 rhs) {
  char a[32], b[32], what[160];
  format_value(a, sizeof(a), d->type, lhs);
  format_value(b, sizeof(b), d->type, rhs);
  format(what, sizeof(what), "%s overflow: %s %s %s cannot be represented in type %s",
         is_signed(d->type) ? "signed integer" : "unsigned integer", a, op, b, d->type->name);
  report(d->location, what);
}

}  // namespace

// The handlers GCC calls. Their names and arguments are the sanitizer's ABI; each one ends in a panic.
extern "C" {

void __ubsan_handle_type_mismatch_v1(const TypeMismatchData* d, u64 pointer) {
  char what[200];
  const char* kind = d->type_check_kind < array_size(CHECK_KINDS) ? CHECK_KINDS[d->type_check_kind] : "use of";
  u64 alignment = 1ull << d->log_alignment;
  if (pointer == 0) {
    format(what, sizeof(what), "%s null pointer of type %s", kind, d->type->name);
  } else if (pointer & (alignment - 1)) {
    format(what, sizeof(what), "%s misaligned address 0x%llx for type %s, which requires %llu-byte alignment",
           kind, static_cast<unsigned long long>(pointer), d->type->name, static_cast<unsigned long long>(alignment));
  } else {
    format(what, sizeof(what), "%s address 0x%llx with insufficient space for an object of type %s", kind,
           static_cast<unsigned long long>(pointer), d->type->name);
  }
  report(d->location, what);
}

void __ubsan_handle_add_overflow(const OverflowData* d, u64 lhs, u64 rhs) { overflow(d, "+", lhs, rhs); }
void __ubsan_handle_sub_overflow(const OverflowData* d, u64 lhs, u64 rhs) { overflow(d, "-", lhs, rhs); }
void __ubsan_handle_mul_overflow(const OverflowData* d, u64 lhs, u64 rhs) { overflow(d, "*", lhs, rhs); }

void __ubsan_handle_negate_overflow(const OverflowData* d, u64 value) {
  char v[32], what[160];
  format_value(v, sizeof(v), d->type, value);
  format(what, sizeof(what), "negation of %s cannot be represented in type %s", v, d->type->name);
  report(d->location, what);
}

void __ubsan_handle_divrem_overflow(const OverflowData* d, u64 lhs, u64 rhs) {
  char a[32], what[160];
  format_value(a, sizeof(a), d->type, lhs);
  if (as_signed(d->type, rhs) == -1 && is_signed(d->type))
    format(what, sizeof(what), "division of %s by -1 cannot be represented in type %s", a, d->type->name);
  else
    format(what, sizeof(what), "division of %s by zero", a);
  report(d->location, what);
}

void __ubsan_handle_shift_out_of_bounds(const ShiftOutOfBoundsData* d, u64 lhs, u64 rhs) {
  char a[32], b[32], what[200];
  format_value(a, sizeof(a), d->lhs_type, lhs);
  format_value(b, sizeof(b), d->rhs_type, rhs);
  unsigned bits = d->lhs_type->kind == 0 ? 1u << (d->lhs_type->info >> 1) : 64;
  if (is_signed(d->rhs_type) && as_signed(d->rhs_type, rhs) < 0)
    format(what, sizeof(what), "shift exponent %s is negative", b);
  else if (static_cast<u64>(as_signed(d->rhs_type, rhs)) >= bits)
    format(what, sizeof(what), "shift exponent %s is too large for %u-bit type %s", b, bits, d->lhs_type->name);
  else if (is_signed(d->lhs_type) && as_signed(d->lhs_type, lhs) < 0)
    format(what, sizeof(what), "left shift of negative value %s", a);
  else
    format(what, sizeof(what), "left shift of %s by %s places cannot be represented in type %s", a, b,
           d->lhs_type->name);
  report(d->location, what);
}

void __ubsan_handle_out_of_bounds(const OutOfBoundsData* d, u64 index) {
  char i[32], what[160];
  format_value(i, sizeof(i), d->index_type, index);
  format(what, sizeof(what), "index %s out of bounds for type %s", i, d->array_type->name);
  report(d->location, what);
}

void __ubsan_handle_builtin_unreachable(const LocationOnly* d) { report(d->location, "execution reached __builtin_unreachable()"); }
void __ubsan_handle_missing_return(const LocationOnly* d) {
  report(d->location, "execution reached the end of a value-returning function without returning a value");
}

void __ubsan_handle_vla_bound_not_positive(const InvalidValueData* d, u64 bound) {
  char b[32], what[96];
  format_value(b, sizeof(b), d->type, bound);
  format(what, sizeof(what), "variable length array bound evaluates to non-positive value %s", b);
  report(d->location, what);
}

void __ubsan_handle_load_invalid_value(const InvalidValueData* d, u64 value) {
  char what[128];
  format(what, sizeof(what), "load of value 0x%llx, which is not a valid value for type %s",
         static_cast<unsigned long long>(value), d->type->name);
  report(d->location, what);
}

void __ubsan_handle_nonnull_arg(const NonNullArgData* d) {
  char what[96];
  format(what, sizeof(what), "null pointer passed as argument %d, which is declared to never be null",
         d->argument_index);
  report(d->location, what);
}

void __ubsan_handle_nonnull_return_v1(const LocationOnly* d, const SourceLocation* where) {
  (void)d;
  report(*where, "null pointer returned from a function declared to never return null");
}

void __ubsan_handle_pointer_overflow(const LocationOnly* d, u64 base, u64 result) {
  char what[128];
  format(what, sizeof(what), "pointer arithmetic on 0x%llx overflowed to 0x%llx", static_cast<unsigned long long>(base),
         static_cast<unsigned long long>(result));
  report(d->location, what);
}

void __ubsan_handle_invalid_builtin(const InvalidBuiltinData* d) {
  report(d->location, d->kind == 0 ? "passing zero to ctz(), which is not a valid argument"
                                   : "passing zero to clz(), which is not a valid argument");
}

void __ubsan_handle_alignment_assumption(const LocationOnly* d, u64 pointer, u64 alignment, u64 offset) {
  char what[128];
  format(what, sizeof(what), "assumption of %llu-byte alignment (offset %llu) for pointer 0x%llx failed",
         static_cast<unsigned long long>(alignment), static_cast<unsigned long long>(offset),
         static_cast<unsigned long long>(pointer));
  report(d->location, what);
}

}  // extern "C"
