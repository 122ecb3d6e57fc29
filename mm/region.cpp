// Making regions: the one place a Region's fields are filled in.
#include "mm/region.h"

#include "mm/vm_object.h"

Region::Region(const Spec& spec)
    : m_start(spec.start),
      m_end(spec.end),
      m_prot(spec.prot),
      m_max_prot(spec.max_prot),
      m_flags(spec.flags),
      m_object(spec.object),
      m_object_page(spec.object ? spec.object_page : 0) {}

Region::~Region() = default;
