#include "mm/anon_table.h"

#include "mm/vm_stats.h"

AnonTable::~AnonTable() { release_range(0, RadixTable::MAX_INDEX); }

Result<void> AnonTable::set(u64 vpn, Frame* frame) {
  u64* slot = TRY(m_table.find_or_create(vpn));
  if (*slot) {
    g_vm_stats.anon_release(reinterpret_cast<Frame*>(*slot));
  } else {
    m_resident++;
  }
  *slot = reinterpret_cast<u64>(frame);
  return {};
}

void AnonTable::release_range(u64 start_vpn, u64 end_vpn) {
  m_table.for_each(start_vpn, end_vpn, [&](u64, u64& value) {
    g_vm_stats.anon_release(reinterpret_cast<Frame*>(value));
    value = 0;
    m_resident--;
  });
  if (m_resident == 0) m_table.clear();
}

Result<void> AnonTable::share_range_from(const AnonTable& src, u64 start_vpn, u64 end_vpn) {
  Result<void> result;
  src.m_table.for_each(start_vpn, end_vpn, [&](u64 vpn, u64& value) {
    if (result.is_error()) return;
    auto slot = m_table.find_or_create(vpn);
    if (slot.is_error()) {
      result = slot.error();
      return;
    }
    Frame* f = reinterpret_cast<Frame*>(value);
    f->refcount.fetch_add(1, MemoryOrder::Relaxed);
    *slot.value() = value;
    m_resident++;
  });
  return result;
}
