#include "mm/anon_table.h"

AnonTable::~AnonTable() { release_all(); }

void AnonTable::release_all() {
  m_table.drain([](AnonSlot slot) { slot.release(); });
  m_resident = 0;
}

void AnonTable::release_range(u64 start_vpn, u64 end_vpn) {
  m_table.for_each(start_vpn, end_vpn, [&](u64, AnonSlot& slot) {
    slot.release();
    slot = AnonSlot();
    m_resident--;
  });
  if (m_resident == 0) m_table.clear();  // no slot left in use (every slot in use is resident)
}

Result<void> AnonTable::share_range_from(const AnonTable& src, u64 start_vpn, u64 end_vpn) {
  // Counted in a local, not in m_resident: the copy's stores into the table could alias a member, which would
  // make the compiler reload and store the count for every page.
  u64 shared = 0;
  auto result = m_table.copy_from(src.m_table, start_vpn, end_vpn, [&](AnonSlot slot) {
    slot.share();
    shared++;
  });
  m_resident += shared;
  return result;
}
