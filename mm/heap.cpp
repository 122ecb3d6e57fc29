#include "mm/heap.h"

#include "mm/shrinker.h"

u64 heap_shrink();
static u64 heap_empty_slab_frames() { return heap_stats().empty_slab_frames; }
static const Shrinker g_heap_shrinker = {"kernel heap", heap_empty_slab_frames, heap_shrink};

#include <cstring>
#include <new>

#include "lib/assert.h"
#include "mm/frame.h"

// A slab is one frame. Its Frame descriptor holds the slab's state:
//   owner    = the SizeClass,
//   index    = head of the slab's free-object list (a kernel pointer, 0 if full),
//   refcount = unused (1 while allocated, as for every allocated frame),
//   flags    = number of live objects,
//   link     = position on the class's partial list (slabs with at least one free object).
//
// The debug mode (a debug build, without NDEBUG: the debug kernel and the host tests) checks how the heap is used. A slab
// object then starts with a 16-byte header in front of what kmalloc returns, and ends with a redzone:
//   allocated:  [ALLOCATED | requested size][0][the caller's bytes][REDZONE bytes to the end of the object]
//   free:       [next free object][FREED][POISON bytes to the end of the object]
// kfree checks the header (a double free, or a pointer kmalloc never returned) and the redzone (a write past the
// end); kmalloc checks the poison of the object it hands out (a write after free). Each finding is a panic
// that names the object. Blocks of frames (the large objects) are poisoned when freed.
namespace {

#ifdef NDEBUG
constexpr bool HEAP_DEBUG = false;
#else
constexpr bool HEAP_DEBUG = true;
#endif
constexpr usize DEBUG_HEADER = 16;   // in front of each slab object
constexpr usize DEBUG_MIN_REDZONE = 8;
constexpr u32 ALLOCATED = 0xa110ca7e;
constexpr u64 FREED = 0xf7eeddeadf7eedull;
constexpr u8 POISON = 0x6b;   // freed bytes (Linux's POISON_FREE)
constexpr u8 REDZONE = 0xbb;  // bytes past the end of an allocation

// The first byte in [from, from + n) that is not `value`, or n.
usize first_not(const u8* from, usize n, u8 value) {
  for (usize i = 0; i < n; i++)
    if (from[i] != value) return i;
  return n;
}

struct FreeObject {
  FreeObject* next;
};

struct SizeClass {
  u32 size;
  u32 objects_per_slab;
  Spinlock lock{"heap"};
  IntrusiveList<Frame, &Frame::link> partial;  // guarded by lock
  Frame* empty_slab = nullptr;                 // one empty slab kept to avoid thrashing; guarded by lock
  u64 live = 0;                                // guarded by lock
  u64 slabs = 0;                               // guarded by lock
};

constexpr u32 CLASS_SIZES[] = {16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048};
constexpr usize CLASS_COUNT = array_size(CLASS_SIZES);
static_assert(CLASS_COUNT == HEAP_SIZE_CLASSES);
constexpr u32 LARGEST_SLAB_OBJECT = 2048;

// Constructed on first use (the heap runs before global constructors).
alignas(SizeClass) u8 g_class_storage[sizeof(SizeClass) * CLASS_COUNT];
bool g_classes_ready = false;
u8 g_class_for_size[LARGEST_SLAB_OBJECT / 16 + 1];  // size rounded up to 16 -> class index

Spinlock g_large_lock("heap-large");
u64 g_large_frames = 0;  // guarded by g_large_lock
u64 g_large_live = 0;

SizeClass* classes() { return reinterpret_cast<SizeClass*>(g_class_storage); }

void init_classes() {
  for (usize i = 0; i < CLASS_COUNT; i++) {
    SizeClass* c = new (&classes()[i]) SizeClass;
    c->size = CLASS_SIZES[i];
    c->objects_per_slab = static_cast<u32>(PAGE_SIZE / CLASS_SIZES[i]);
  }
  usize cls = 0;
  for (u32 units = 0; units <= LARGEST_SLAB_OBJECT / 16; units++) {
    while (CLASS_SIZES[cls] < units * 16) cls++;
    g_class_for_size[units] = static_cast<u8>(cls);
  }
  g_classes_ready = true;
  register_shrinker(&g_heap_shrinker);
}

// A free object's debug state: FREED after the link, poison after the header.
void poison_free_object(SizeClass& c, u8* object) {
  reinterpret_cast<u64*>(object)[1] = FREED;
  memset(object + DEBUG_HEADER, POISON, c.size - DEBUG_HEADER);
}

Frame* new_slab_locked(SizeClass& c) {
  ASSERT_LOCKED(c.lock);
  Frame* f = g_phys.alloc(0, FrameUse::Heap);
  if (!f) return nullptr;
  u8* base = g_phys.kernel_pointer(f);
  FreeObject* head = nullptr;
  for (u32 i = c.objects_per_slab; i-- > 0;) {
    auto* o = reinterpret_cast<FreeObject*>(base + i * c.size);
    if (HEAP_DEBUG) poison_free_object(c, reinterpret_cast<u8*>(o));
    o->next = head;
    head = o;
  }
  f->owner = &c;
  f->index = reinterpret_cast<u64>(head);
  f->slab_live = 0;
  c.slabs++;
  return f;
}

// Debug: the object kmalloc is about to hand out must still be as kfree left it.
void check_poison(const SizeClass& c, const u8* object) {
  ASSERT_MSG(reinterpret_cast<const u64*>(object)[1] == FREED,
             "heap: the header of a free %u-byte object at %p was overwritten (a write after kfree, or past the end "
             "of the object before it)", c.size, object);
  usize bad = first_not(object + DEBUG_HEADER, c.size - DEBUG_HEADER, POISON);
  ASSERT_MSG(bad == c.size - DEBUG_HEADER,
             "heap: a freed %u-byte object at %p was written after kfree: byte %llu of it is 0x%02x, not the poison "
             "0x%02x", c.size, object + DEBUG_HEADER, static_cast<unsigned long long>(bad),
             object[DEBUG_HEADER + bad], POISON);
}

void* slab_alloc(SizeClass& c) {
  SpinlockGuard guard(c.lock);
  Frame* f = c.partial.front();
  if (!f) {
    if (c.empty_slab) {
      f = c.empty_slab;
      c.empty_slab = nullptr;
    } else {
      f = new_slab_locked(c);
      if (!f) return nullptr;
    }
    c.partial.push_front(*f);
  }
  auto* o = reinterpret_cast<FreeObject*>(f->index);
  // Checked before it leaves the free list, so that a panic leaves the heap as it was (the host tests go on).
  if (HEAP_DEBUG) check_poison(c, reinterpret_cast<const u8*>(o));
  f->index = reinterpret_cast<u64>(o->next);
  f->slab_live++;
  c.live++;
  if (!f->index) c.partial.remove(*f);  // now full
  return o;
}

void slab_free(SizeClass& c, Frame* f, void* ptr) {
  SpinlockGuard guard(c.lock);
  bool was_full = f->index == 0;
  auto* o = static_cast<FreeObject*>(ptr);
  o->next = reinterpret_cast<FreeObject*>(f->index);
  f->index = reinterpret_cast<u64>(o);
  ASSERT_MSG(f->slab_live > 0, "kfree(%p): slab has no live objects (double free?)", ptr);
  f->slab_live--;
  c.live--;
  if (was_full) c.partial.push_front(*f);
  if (f->slab_live == 0) {
    c.partial.remove(*f);
    Frame* to_free = f;
    if (!c.empty_slab) {
      c.empty_slab = f;
      to_free = nullptr;
    }
    if (to_free) {
      c.slabs--;
      to_free->owner = nullptr;
      g_phys.free_frame(to_free);
    }
  }
}

// Debug: a slab object that is being allocated for `size` bytes; returns what the caller gets.
void* debug_allocated(const SizeClass& c, void* object, usize size) {
  u8* o = static_cast<u8*>(object);
  reinterpret_cast<u64*>(o)[0] = (static_cast<u64>(ALLOCATED) << 32) | size;
  reinterpret_cast<u64*>(o)[1] = 0;
  memset(o + DEBUG_HEADER + size, REDZONE, c.size - DEBUG_HEADER - size);
  return o + DEBUG_HEADER;
}

// Debug: check a slab object the caller frees (ptr is what kmalloc returned) and poison it; returns the object.
void* debug_freeing(SizeClass& c, Frame* f, void* ptr) {
  u8* o = static_cast<u8*>(ptr) - DEBUG_HEADER;
  u8* base = g_phys.kernel_pointer(f);
  ASSERT_MSG(o >= base && static_cast<usize>(o - base) % c.size == 0,
             "kfree(%p): not a pointer kmalloc returned (it is inside a %u-byte object)", ptr, c.size);
  u64 header = reinterpret_cast<u64*>(o)[0];
  ASSERT_MSG(reinterpret_cast<u64*>(o)[1] != FREED, "kfree(%p): a double free (the %u-byte object is free already)",
             ptr, c.size);
  ASSERT_MSG(header >> 32 == ALLOCATED,
             "kfree(%p): the object's header is 0x%016llx, not an allocated one (a write before the object, or a "
             "pointer kmalloc never returned)", ptr, static_cast<unsigned long long>(header));
  usize size = header & 0xffffffff;
  usize redzone = c.size - DEBUG_HEADER - size;
  usize bad = first_not(o + DEBUG_HEADER + size, redzone, REDZONE);
  ASSERT_MSG(bad == redzone,
             "heap: a write past the end of a %llu-byte object at %p: byte %llu after its end is 0x%02x (kfree found "
             "the redzone changed)", static_cast<unsigned long long>(size), ptr, static_cast<unsigned long long>(bad),
             o[DEBUG_HEADER + size + bad]);
  poison_free_object(c, o);
  return o;
}

unsigned order_for_bytes(usize size) {
  unsigned order = 0;
  while ((PAGE_SIZE << order) < size) order++;
  return order;
}

}  // namespace

u32 heap_class_size_of(usize size) {
  if (UNLIKELY(!g_classes_ready)) init_classes();
  usize need = HEAP_DEBUG ? size + DEBUG_HEADER + DEBUG_MIN_REDZONE : size;
  if (need > LARGEST_SLAB_OBJECT) return 0;
  return classes()[g_class_for_size[(need + 15) / 16]].size;
}

void* kmalloc(usize size) {
  if (UNLIKELY(!g_classes_ready)) init_classes();
  if (size == 0) size = 1;
  if (HEAP_DEBUG && size + DEBUG_HEADER + DEBUG_MIN_REDZONE <= LARGEST_SLAB_OBJECT) {
    SizeClass& c = classes()[g_class_for_size[(size + DEBUG_HEADER + DEBUG_MIN_REDZONE + 15) / 16]];
    void* object = slab_alloc(c);
    return object ? debug_allocated(c, object, size) : nullptr;
  }
  if (!HEAP_DEBUG && size <= LARGEST_SLAB_OBJECT) return slab_alloc(classes()[g_class_for_size[(size + 15) / 16]]);
  unsigned order = order_for_bytes(size);
  if (order > MAX_ORDER) return nullptr;
  Frame* f = g_phys.alloc(order, FrameUse::Heap);
  if (!f) return nullptr;
  f->owner = nullptr;
  SpinlockGuard guard(g_large_lock);
  g_large_frames += 1ull << order;
  g_large_live++;
  return g_phys.kernel_pointer(f);
}

void* kzalloc(usize size) {
  void* p = kmalloc(size);
  if (p) memset(p, 0, size);
  return p;
}

HeapBuffer kmalloc_up_to(usize want, usize floor) {
  if (floor > want) floor = want;
  for (usize size = want;; size = size / 2 > floor ? size / 2 : floor) {
    if (void* p = kmalloc(size)) return {p, size};
    if (size == floor) return {nullptr, 0};
  }
}

void kfree(void* ptr) {
  if (!ptr) return;
  PhysAddr pa = kernel_to_phys(ptr);
  ASSERT_MSG(g_phys.is_managed(pa), "kfree(%p): not a heap pointer", ptr);
  Frame* f = g_phys.frame_of(pa.page_base());
  ASSERT_MSG(f->use == FrameUse::Heap, "kfree(%p): frame is %s, not heap (double free or bad pointer?)", ptr,
             frame_use_name(f->use));
  if (f->owner) {
    auto& c = *static_cast<SizeClass*>(f->owner);
    slab_free(c, f, HEAP_DEBUG ? debug_freeing(c, f, ptr) : ptr);
    return;
  }
  ASSERT_MSG(g_phys.kernel_pointer(f) == ptr, "kfree(%p): not a pointer kmalloc returned (inside a block of %u "
             "frames)", ptr, 1u << f->order);
  unsigned order = f->order;
  if (HEAP_DEBUG) memset(ptr, POISON, PAGE_SIZE << order);
  {
    SpinlockGuard guard(g_large_lock);
    g_large_frames -= 1ull << order;
    g_large_live--;
  }
  g_phys.free(f, order);
}

HeapStats heap_stats() {
  HeapStats s{};
  if (!g_classes_ready) return s;
  for (usize i = 0; i < CLASS_COUNT; i++) {
    SizeClass& c = classes()[i];
    SpinlockGuard guard(c.lock);
    s.bytes_in_use += c.live * c.size;
    s.slab_frames += c.slabs;
    s.allocations += c.live;
    s.class_size[i] = c.size;
    s.class_live[i] = c.live;
    if (c.empty_slab) s.empty_slab_frames++;
  }
  SpinlockGuard guard(g_large_lock);
  s.large_frames = g_large_frames;
  s.bytes_in_use += g_large_frames * PAGE_SIZE;
  s.allocations += g_large_live;
  return s;
}


// The heap's shrinker (mm/shrinker.h): empty slabs back to the frame allocator, without waiting for a class's
// lock (the allocation that asks may be the heap's own, holding one).
u64 heap_shrink() {
  if (!g_classes_ready) return 0;
  u64 freed = 0;
  for (usize i = 0; i < CLASS_COUNT; i++) {
    SizeClass& c = classes()[i];
    if (!c.lock.try_lock()) continue;
    Frame* f = c.empty_slab;
    c.empty_slab = nullptr;
    if (f) c.slabs--;
    c.lock.unlock();
    if (f) {
      f->owner = nullptr;
      g_phys.free_frame(f);
      freed++;
    }
  }
  return freed;
}

void heap_trim() {
  if (!g_classes_ready) return;
  for (usize i = 0; i < CLASS_COUNT; i++) {
    SizeClass& c = classes()[i];
    Frame* f = nullptr;
    {
      SpinlockGuard guard(c.lock);
      f = c.empty_slab;
      c.empty_slab = nullptr;
      if (f) c.slabs--;
    }
    if (f) {
      f->owner = nullptr;
      g_phys.free_frame(f);
    }
  }
}
