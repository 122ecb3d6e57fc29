// The kernel's operator new and delete: the kernel heap (mm/heap.h). (Kept apart from mm/heap.cpp so that the
// host unit tests can use the heap without replacing the host's own operators.)
#include <new>

#include "mm/heap.h"

void* operator new(usize size) { return kmalloc(size); }
void* operator new[](usize size) { return kmalloc(size); }
void* operator new(usize size, const std::nothrow_t&) noexcept { return kmalloc(size); }
void* operator new[](usize size, const std::nothrow_t&) noexcept { return kmalloc(size); }
void operator delete(void* p) noexcept { kfree(p); }
void operator delete[](void* p) noexcept { kfree(p); }
void operator delete(void* p, usize) noexcept { kfree(p); }
void operator delete[](void* p, usize) noexcept { kfree(p); }
