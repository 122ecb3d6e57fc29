#include "mm/heap.h"

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
namespace {

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
}

Frame* new_slab_locked(SizeClass& c) {
  ASSERT_LOCKED(c.lock);
  Frame* f = g_phys.alloc(0, FrameUse::Heap);
  if (!f) return nullptr;
  u8* base = g_phys.kernel_pointer(f);
  FreeObject* head = nullptr;
  for (u32 i = c.objects_per_slab; i-- > 0;) {
    auto* o = reinterpret_cast<FreeObject*>(base + i * c.size);
    o->next = head;
    head = o;
  }
  f->owner = &c;
  f->index = reinterpret_cast<u64>(head);
  f->flags = 0;
  c.slabs++;
  return f;
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
  f->index = reinterpret_cast<u64>(o->next);
  f->flags++;
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
  ASSERT_MSG(f->flags > 0, "kfree(%p): slab has no live objects (double free?)", ptr);
  f->flags--;
  c.live--;
  if (was_full) c.partial.push_front(*f);
  if (f->flags == 0) {
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

unsigned order_for_bytes(usize size) {
  unsigned order = 0;
  while ((PAGE_SIZE << order) < size) order++;
  return order;
}

}  // namespace

void* kmalloc(usize size) {
  if (UNLIKELY(!g_classes_ready)) init_classes();
  if (size == 0) size = 1;
  if (size <= LARGEST_SLAB_OBJECT) return slab_alloc(classes()[g_class_for_size[(size + 15) / 16]]);
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

void kfree(void* ptr) {
  if (!ptr) return;
  PhysAddr pa = kernel_to_phys(ptr);
  ASSERT_MSG(g_phys.is_managed(pa), "kfree(%p): not a heap pointer", ptr);
  Frame* f = g_phys.frame_of(pa.page_base());
  ASSERT_MSG(f->use == FrameUse::Heap, "kfree(%p): frame is %s, not heap (double free or bad pointer?)", ptr,
             frame_use_name(f->use));
  if (f->owner) {
    slab_free(*static_cast<SizeClass*>(f->owner), f, ptr);
    return;
  }
  unsigned order = f->order;
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
