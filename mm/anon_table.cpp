#include "mm/anon_table.h"

#include "mm/vm_stats.h"

AnonTable::~AnonTable() { release_all(); }

void AnonTable::release_all() {
  m_table.drain([](u64 value) { g_vm_stats.anon_release(reinterpret_cast<Frame*>(value)); });
  m_resident = 0;
}

Result<void> AnonTable::set(u64 vpn, Frame* frame) {
  u64 old = m_table.get(vpn);
  TRY(m_table.set(vpn, reinterpret_cast<u64>(frame)));
  if (old)
    g_vm_stats.anon_release(reinterpret_cast<Frame*>(old));
  else
    m_resident++;
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
  return m_table.copy_from(src.m_table, start_vpn, end_vpn, [&](u64 value) {
    reinterpret_cast<Frame*>(value)->refcount.fetch_add(1, MemoryOrder::Relaxed);
    m_resident++;
  });
}
