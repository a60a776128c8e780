# shellcheck shell=bash
# Case table for vectors/chains, sourced by make.sh (writes manifest.json)
# and check.sh (re-runs OpenSSL). Keep descriptions free of double quotes.
#
# Fields (key=value):
#   name ee inter(space-separated, nearest the EE first) anchors(override; default root.pem)
#   crls purpose(sign|encrypt|any) email revocation(off|prefer|require)
#   policySet(space-separated OIDs) explicit(true) inhibitMap(true) inhibitAny(true)
#   allowWeak(true|false) anchorEku(space-separated OIDs) expected desc
#   osslAnchors: trust files to give OpenSSL instead of anchors (for anchorEku cases)
#   osslNote: why OpenSSL's answer legitimately differs / how it was made to agree
#             (a case with an osslNote may disagree with OpenSSL without failing check.sh)

VALIDATION_TIME="2026-06-01T00:00:00Z"
VALIDATION_UNIX=1780272000 # date -u -d 2026-06-01T00:00:00Z +%s
DEFAULT_ANCHORS="root.pem"

declare -a CASES=()
declare -A CF=()

c() {
  local i=${#CASES[@]} kv
  for kv in "$@"; do CF["$i.${kv%%=*}"]="${kv#*=}"; done
  CASES+=("${CF[$i.name]}")
}

POL_A=1.3.6.1.4.1.55555.1.1
POL_B=1.3.6.1.4.1.55555.1.2
EKU_SERVER=1.3.6.1.5.5.7.3.1
EKU_EMAIL=1.3.6.1.5.5.7.3.4
BOTH_CRLS="root.crl.pem intermediate.crl.pem"

define_cases() {
  CASES=(); CF=()
  # ---- good chains: root -> intermediate -> user -------------------------
  c name=rsa-sign ee=ee-rsa.pem inter=intermediate.pem purpose=sign email=rsa.user@example.test expected=valid \
    desc="RSA-2048 user, sha256WithRSAEncryption, signing"
  c name=rsa-encrypt ee=ee-rsa.pem inter=intermediate.pem purpose=encrypt email=rsa.user@example.test expected=valid \
    desc="RSA-2048 user, encryption (keyEncipherment)"
  c name=rsa-pss-sign ee=ee-rsa-pss.pem inter=intermediate.pem purpose=sign email=rsa-pss.user@example.test expected=valid \
    desc="RSA-PSS key (id-RSASSA-PSS SPKI), certificate signed with RSASSA-PSS SHA-256 salt 32"
  c name=p256-sign ee=ee-p256.pem inter=intermediate.pem purpose=sign email=p256.user@example.test expected=valid \
    desc="ECDSA P-256 user, signing"
  c name=p256-encrypt ee=ee-p256.pem inter=intermediate.pem purpose=encrypt email=p256.user@example.test expected=valid \
    osslNote="OpenSSL smimeencrypt purpose accepts only keyEncipherment, not keyAgreement (RFC 8550 4.4.2, RFC 5753 allow keyAgreement for ECDH); the same command without -purpose is OK" \
    desc="ECDH P-256 user, encryption (keyAgreement)"
  c name=p384-sign ee=ee-p384.pem inter=intermediate.pem purpose=sign email=p384.user@example.test expected=valid \
    desc="ECDSA P-384 user, signing"
  c name=p384-encrypt ee=ee-p384.pem inter=intermediate.pem purpose=encrypt email=p384.user@example.test expected=valid \
    osslNote="OpenSSL smimeencrypt purpose accepts only keyEncipherment, not keyAgreement (RFC 8550 4.4.2, RFC 5753 allow keyAgreement for ECDH); the same command without -purpose is OK" \
    desc="ECDH P-384 user, encryption (keyAgreement)"
  c name=ed25519-sign ee=ee-ed25519.pem inter=intermediate.pem purpose=sign email=ed25519.user@example.test expected=valid \
    desc="Ed25519 user, signing (Ed25519 is sign-only)"
  # ---- good chains exercising other signature algorithms on the links ----
  c name=ecdsa-ca-p256-sign ee=ee-p256-ecca.pem inter=intermediate-ec.pem purpose=sign email=p256-ecca.user@example.test expected=valid \
    desc="P-256 user issued by a P-384 intermediate (ecdsa-with-SHA384 link)"
  c name=ed25519-ca-sign ee=ee-ed25519-edca.pem inter=intermediate-ed25519.pem purpose=sign email=ed25519-edca.user@example.test expected=valid \
    desc="Ed25519 user issued by an Ed25519 intermediate (Ed25519 link)"
  # ---- valid variants that pin down the broken cases below ----------------
  c name=email-domain-case ee=ee-rsa.pem inter=intermediate.pem purpose=sign email=rsa.user@EXAMPLE.TEST expected=valid \
    desc="domain part of the email compared case-insensitively"
  c name=rsa-crl ee=ee-rsa.pem inter=intermediate.pem purpose=sign email=rsa.user@example.test revocation=require "crls=$BOTH_CRLS" expected=valid \
    desc="revocation required, current CRLs for root and intermediate, user not listed"
  c name=name-constraints-permitted ee=ee-nc-ok.pem inter=inter-nc.pem purpose=sign email=nc.user@example.test expected=valid \
    desc="intermediate permits rfc822 example.test; user nc.user@example.test is inside"
  c name=policy-explicit-ok ee=ee-policy.pem inter=inter-policy.pem purpose=sign email=policy.user@example.test \
    "policySet=$POL_B" explicit=true expected=valid \
    desc="user asserts policy $POL_B; initial set {$POL_B}, requireExplicitPolicy"
  # OpenSSL note for all policy cases: -policy 2.5.29.32.0 is passed when the case has no initial set
  c name=policy-ca-requires-ok ee=ee-policy.pem inter=inter-policy.pem purpose=sign email=policy.user@example.test expected=valid \
    desc="intermediate has requireExplicitPolicy 0 and the user asserts a policy; default inputs"
  c name=key-usage-any ee=bad-key-usage.pem inter=intermediate.pem purpose=any expected=valid \
    desc="purpose any checks RFC 5280 only: dataEncipherment-only key usage is fine"
  c name=eku-any ee=bad-eku.pem inter=intermediate.pem purpose=any expected=valid \
    desc="purpose any checks RFC 5280 only: serverAuth-only EKU is fine"
  c name=weak-sha1-allowed ee=bad-weak-sha1.pem inter=intermediate.pem purpose=sign email=sha1.user@example.test allowWeak=true expected=valid \
    desc="SHA-1 signed user accepted with allowWeak"
  c name=weak-rsa1024-allowed ee=bad-weak-rsa1024.pem inter=intermediate.pem purpose=sign email=rsa1024.user@example.test allowWeak=true expected=valid \
    desc="RSA-1024 user accepted with allowWeak"
  c name=anchor-eku-email ee=ee-rsa.pem inter=intermediate.pem purpose=sign email=rsa.user@example.test \
    "anchorEku=$EKU_EMAIL" osslAnchors=root-trust-email.pem expected=valid \
    osslNote="root-trust-email.pem is root.pem as a TRUSTED CERTIFICATE with -addtrust emailProtection" \
    desc="root's SST EKU property (id 9) lists emailProtection"
  # ---- one broken case per code ------------------------------------------
  c name=expired ee=bad-expired.pem inter=intermediate.pem purpose=sign email=expired.user@example.test expected=expired \
    desc="user valid 2020-01-01 to 2021-01-01"
  c name=not-yet-valid ee=bad-not-yet-valid.pem inter=intermediate.pem purpose=sign email=future.user@example.test expected=not-yet-valid \
    desc="user valid 2040-01-01 to 2045-01-01"
  c name=untrusted-root ee=bad-untrusted-root.pem inter="untrusted-intermediate.pem untrusted-root.pem" purpose=sign email=untrusted.user@example.test expected=untrusted-root \
    desc="chain ends in a self-signed root that is not in the trust list (the root is offered as an untrusted pool certificate)"
  c name=bad-signature ee=bad-signature.pem inter=intermediate.pem purpose=sign email=badsig.user@example.test expected=bad-signature \
    desc="last byte of the user certificate's signature BIT STRING flipped"
  c name=not-ca ee=bad-not-ca.pem inter=inter-not-ca.pem purpose=sign email=notca.user@example.test expected=not-ca \
    osslNote="OpenSSL (which reports every error) also prints error 26 at depth 1: its smimesign check of a CA certificate needs CA:TRUE, the same defect" \
    desc="issuer has basicConstraints critical CA:FALSE (keyUsage keyCertSign present)"
  c name=path-length ee=bad-path-length.pem inter="intermediate-sub.pem intermediate.pem" purpose=sign email=pathlen.user@example.test expected=path-length \
    desc="intermediate (pathlen 0) issued a sub-CA which issued the user"
  c name=bad-key-usage ee=bad-key-usage.pem inter=intermediate.pem purpose=sign email=ku.user@example.test expected=bad-key-usage \
    desc="user keyUsage is dataEncipherment only, validated for signing"
  c name=bad-eku ee=bad-eku.pem inter=intermediate.pem purpose=sign email=eku.user@example.test expected=bad-eku \
    desc="user extendedKeyUsage is serverAuth only"
  c name=email-mismatch ee=ee-rsa.pem inter=intermediate.pem purpose=sign email=other.user@example.test expected=email-mismatch \
    desc="good RSA user (rsa.user@example.test) checked for other.user@example.test"
  c name=name-constraints ee=bad-name-constraints.pem inter=inter-nc.pem purpose=sign email=user@evil.test expected=name-constraints \
    desc="intermediate permits rfc822 example.test only; user SAN is user@evil.test"
  c name=policy ee=ee-policy.pem inter=inter-policy.pem purpose=sign email=policy.user@example.test \
    "policySet=$POL_A" explicit=true expected=policy \
    desc="user asserts only $POL_B; initial set {$POL_A} with requireExplicitPolicy"
  c name=policy-ca-requires ee=bad-policy-none.pem inter=inter-policy.pem purpose=sign email=nopolicy.user@example.test expected=policy \
    desc="intermediate has policyConstraints requireExplicitPolicy 0; user has no certificatePolicies; default inputs"
  c name=revoked ee=bad-revoked.pem inter=intermediate.pem purpose=sign email=revoked.user@example.test revocation=require "crls=$BOTH_CRLS" expected=revoked \
    desc="user listed (keyCompromise, 2025-12-01) on the intermediate's CRL 2026-01-01..2044-01-01"
  c name=revocation-unknown ee=ee-rsa.pem inter=intermediate.pem purpose=sign email=rsa.user@example.test revocation=require \
    "crls=root.crl.pem intermediate-stale.crl.pem" expected=revocation-unknown \
    desc="revocation required; the intermediate's only CRL expired (nextUpdate 2025-02-01)"
  c name=revocation-missing ee=ee-rsa.pem inter=intermediate.pem purpose=sign email=rsa.user@example.test revocation=require \
    "crls=root.crl.pem" expected=revocation-unknown \
    desc="revocation required; no CRL from the intermediate at all"
  c name=weak-sha1 ee=bad-weak-sha1.pem inter=intermediate.pem purpose=sign email=sha1.user@example.test allowWeak=false expected=weak-algorithm \
    osslNote="OpenSSL 3.0 accepts SHA-1 by default; it rejects it only at -auth_level 1 or higher (SHA-1 counted as 63 bits), used here" \
    desc="user certificate signed with sha1WithRSAEncryption"
  c name=weak-rsa1024 ee=bad-weak-rsa1024.pem inter=intermediate.pem purpose=sign email=rsa1024.user@example.test allowWeak=false expected=weak-algorithm \
    osslNote="OpenSSL accepts RSA-1024 by default and at -auth_level 1; rejected at -auth_level 2 (112 bits), used here" \
    desc="user has an RSA-1024 key (signed with SHA-256)"
  c name=unknown-critical-extension ee=bad-unknown-critical.pem inter=intermediate.pem purpose=sign email=critical.user@example.test expected=unknown-critical-extension \
    desc="user has critical private extension 1.3.6.1.4.1.55555.99 (NULL)"
  c name=anchor-not-trusted-for-purpose ee=ee-rsa.pem inter=intermediate.pem purpose=sign email=rsa.user@example.test \
    "anchorEku=$EKU_SERVER" osslAnchors=root-trust-serverauth.pem expected=anchor-not-trusted-for-purpose \
    osslNote="OpenSSL expresses the anchor EKU with its own trust settings: root-trust-serverauth.pem is root.pem as a TRUSTED CERTIFICATE with -addtrust serverAuth" \
    desc="root's SST EKU property (id 9) lists serverAuth only (the test builds that SST)"
}

# OpenSSL verify errors that correspond to each expected code (check.sh verdict)
declare -A OSSL_ERR=(
  [expired]="10" [not-yet-valid]="9" [untrusted-root]="19 20 2" [bad-signature]="7"
  [not-ca]="24 79" [path-length]="25" [bad-key-usage]="26" [bad-eku]="26"
  [email-mismatch]="63" [name-constraints]="47" [policy]="42 43" [revoked]="23"
  [revocation-unknown]="3 12" [weak-algorithm]="66 67 68" [unknown-critical-extension]="34"
  [anchor-not-trusted-for-purpose]="27 28"
)

# Build the openssl verify argument vector for case $1 into OSSL_ARGS.
ossl_args() {
  local i=$1 f
  OSSL_ARGS=(-attime "$VALIDATION_UNIX" -policy_check)
  for f in ${CF[$i.osslAnchors]:-${CF[$i.anchors]:-$DEFAULT_ANCHORS}}; do OSSL_ARGS+=(-trusted "$f"); done
  for f in ${CF[$i.inter]:-}; do OSSL_ARGS+=(-untrusted "$f"); done
  case "${CF[$i.purpose]}" in
    sign) OSSL_ARGS+=(-purpose smimesign) ;;
    encrypt) OSSL_ARGS+=(-purpose smimeencrypt) ;;
  esac
  [[ -n "${CF[$i.email]:-}" ]] && OSSL_ARGS+=(-verify_email "${CF[$i.email]}")
  if [[ "${CF[$i.revocation]:-off}" != off ]]; then
    OSSL_ARGS+=(-crl_check_all)
    for f in ${CF[$i.crls]:-}; do OSSL_ARGS+=(-CRLfile "$f"); done
  fi
  # RFC 5280 default initial-policy-set is {anyPolicy}; OpenSSL treats "no -policy" as an
  # empty user set (then any requireExplicitPolicy in the chain fails), so pass it explicitly.
  for f in ${CF[$i.policySet]:-2.5.29.32.0}; do OSSL_ARGS+=(-policy "$f"); done
  [[ "${CF[$i.explicit]:-}" == true ]] && OSSL_ARGS+=(-explicit_policy)
  [[ "${CF[$i.inhibitMap]:-}" == true ]] && OSSL_ARGS+=(-inhibit_map)
  [[ "${CF[$i.inhibitAny]:-}" == true ]] && OSSL_ARGS+=(-inhibit_any)
  # allowWeak=false (the default) ~ OpenSSL security level 2: RSA >= 2048, no SHA-1
  [[ "${CF[$i.allowWeak]:-false}" == true ]] || OSSL_ARGS+=(-auth_level 2)
  OSSL_ARGS+=("${CF[$i.ee]}")
}

# Run OpenSSL for case $1 in directory $2; sets OSSL_RESULT ("OK" or "error N at D depth lookup: ...").
ossl_run() {
  local out line
  ossl_args "$1"
  out=$(cd "$2" && openssl verify "${OSSL_ARGS[@]}" 2>&1) || true
  OSSL_RESULT=""
  while IFS= read -r line; do
    if [[ "$line" =~ ^error\ [0-9]+\ at ]]; then OSSL_RESULT=$line; break; fi
  done <<<"$out"
  if [[ -z "$OSSL_RESULT" ]]; then
    if [[ "$out" == *": OK" ]]; then OSSL_RESULT="OK"; else OSSL_RESULT="unparsed: ${out//$'\n'/ | }"; fi
  fi
}

# Does OSSL_RESULT agree with expected code $1? (0 = yes)
ossl_agrees() {
  local exp=$1 n
  if [[ "$exp" == valid ]]; then [[ "$OSSL_RESULT" == OK ]]; return; fi
  [[ "$OSSL_RESULT" =~ ^error\ ([0-9]+)\ at ]] || return 1
  for n in ${OSSL_ERR[$exp]}; do [[ "${BASH_REMATCH[1]}" == "$n" ]] && return 0; done
  return 1
}
