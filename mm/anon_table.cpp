#include "mm/anon_table.h"

AnonTable::~AnonTable() { release_all(); }

// Tables that hold no swapped slot (most: nothing was ever paged out) take the resident-only way, with no test
// per slot: fork and exit walk every page of a process.
void AnonTable::release_all() {
  if (m_swapped == 0) m_table.drain([](AnonSlot slot) { slot.release_resident(); });
  else m_table.drain([](AnonSlot slot) { slot.release(); });
  m_resident = 0;
  m_swapped = 0;
}

void AnonTable::release_range(u64 start_vpn, u64 end_vpn) {
  m_table.for_each(start_vpn, end_vpn, [&](u64, AnonSlot& slot) {
    if (slot.is_resident()) m_resident--;
    else m_swapped--;
    slot.release();
    slot = AnonSlot();
  });
  if (m_resident == 0 && m_swapped == 0) m_table.clear();  // no slot left in use
}

Result<void> AnonTable::share_range_from(const AnonTable& src, u64 start_vpn, u64 end_vpn) {
  // Counted in locals, not in the members: the copy's stores into the table could alias a member, which would
  // make the compiler reload and store the count for every page.
  u64 resident = 0;
  u64 swapped = 0;
  Result<void> result;
  if (src.m_swapped == 0) {
    result = m_table.copy_from(src.m_table, start_vpn, end_vpn, [&](AnonSlot slot) {
      slot.share_resident();
      resident++;
    });
  } else {
    result = m_table.copy_from(src.m_table, start_vpn, end_vpn, [&](AnonSlot slot) {
      slot.share();
      if (slot.is_resident()) resident++;
      else swapped++;
    });
  }
  m_resident += resident;
  m_swapped += swapped;
  return result;
}
