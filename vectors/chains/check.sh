#!/usr/bin/env bash
# Re-runs OpenSSL on every case of vectors/chains (see cases.sh) at the fixed validation time
# and prints a table: case | expected | OpenSSL result | agrees?
# Exit status 1 if a valid case fails in OpenSSL or a broken case passes / fails for another
# reason, except cases carrying an osslNote (OpenSSL cannot express them; shown as "known").
#   bash vectors/chains/check.sh [-v]    (-v also prints each openssl command)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cases.sh
source "$HERE/cases.sh"
define_cases

bad=0
printf '%-32s %-32s %-6s %s\n' CASE EXPECTED AGREE "OPENSSL RESULT"
for ((i = 0; i < ${#CASES[@]}; i++)); do
  ossl_run "$i" "$HERE"
  exp=${CF[$i.expected]}
  if ossl_agrees "$exp"; then ok=yes
  elif [[ -n "${CF[$i.osslNote]:-}" ]]; then ok=known
  else ok=NO; bad=1
  fi
  printf '%-32s %-32s %-6s %s\n' "${CF[$i.name]}" "$exp" "$ok" "$OSSL_RESULT"
  if [[ "${1:-}" == -v ]]; then ossl_args "$i"; echo "    openssl verify ${OSSL_ARGS[*]}"; fi
done
exit $bad
