#!/bin/bash
# Every kernel access to user memory goes through the checked routines of arch/riscv/usercopy.h
# (copy_from_user, copy_to_user, store_u32_to_user_or_ignore...), which refuse addresses outside the user half
# and respect the program's page protections. This check (run by `make test`) fails if any other file
#   - calls the unchecked routines of usercopy.S (they store through any address with sstatus.SUM set), or
#   - sets sstatus.SUM itself, or
#   - writes into an address space with AddressSpace::write/fill_zero (which ignore page protections: only exec,
#     building an image nobody runs yet, may).
# Usage: tools/check_user_access.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
dirs=(arch kernel mm lib)
[ -d drivers ] && dirs+=(drivers)
status=0
report() { echo "check_user_access: $1:"; echo "$2" | sed 's/^/  /'; status=1; }

hits=$(grep -rnE '\buser_[a-z0-9_]+_raw\b' "${dirs[@]}" \
         --include='*.cpp' --include='*.h' --include='*.S' \
       | grep -vE '^arch/riscv/usercopy\.(h|S|cpp):' || true)
[ -n "$hits" ] && report "unchecked user-access routines used outside arch/riscv/usercopy.*" "$hits"

hits=$(grep -rnE '(csrs|csrw|csrrs|csrrw)[^\n]*(SUM|0x40000|1 ?<< ?18)|Sstatus::SUM' "${dirs[@]}" \
         --include='*.cpp' --include='*.h' --include='*.S' \
       | grep -vE '^arch/riscv/(usercopy\.(h|S|cpp)|csr\.h):' | grep -vE '&= ?~' || true)
[ -n "$hits" ] && report "sstatus.SUM set outside arch/riscv/usercopy.*" "$hits"

hits=$(grep -rnE '(\.|->)(write|fill_zero)\(VirtAddr' kernel arch ${dirs[@]:4} --include='*.cpp' --include='*.h' \
       | grep -vE '^kernel/exec\.cpp:' || true)
[ -n "$hits" ] && report "AddressSpace::write/fill_zero (no protection check) used outside exec" "$hits"

[ $status -eq 0 ] && echo "check_user_access: every user access goes through arch/riscv/usercopy.h"
exit $status
