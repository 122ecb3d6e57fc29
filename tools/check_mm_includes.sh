#!/bin/bash
# mm/ is the machine-independent VM system: it includes only lib/, mm/ and its platform headers
# (mm_platform_impl.h and pmap_platform.h, which each build puts on its include path: kernel/mm_platform/ or
# tests/host/mm_platform/), plus standard C++ headers. Never arch/, kernel/ or drivers/: that is what lets
# the host tests build mm/ with a fake machine. This check (run by `make test`) fails on any other include.
# Usage: tools/check_mm_includes.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
bad=$(grep -rnE '^[[:space:]]*#[[:space:]]*include' mm --include='*.h' --include='*.cpp' \
      | grep -vE '#[[:space:]]*include[[:space:]]*(<[^>]+>|"(lib|mm)/[^"]+"|"(mm_platform_impl|pmap_platform)\.h")' || true)
if [ -n "$bad" ]; then
  echo "check_mm_includes: mm/ may include only lib/, mm/, mm_platform_impl.h, pmap_platform.h and standard headers:"
  echo "$bad" | sed 's/^/  /'
  exit 1
fi
echo "check_mm_includes: mm/ includes only lib/, mm/ and its platform headers"
