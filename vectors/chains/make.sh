#!/usr/bin/env bash
# Regenerates every certificate, key, CRL, PKCS#12 and manifest.json in vectors/chains/.
# Needs only bash, openssl (3.x) and coreutils. Keys and serials are random; the structure,
# names, extensions and all validity / CRL dates are fixed, so committed output stays valid.
#   bash vectors/chains/make.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE
# shellcheck source=cases.sh
source "$HERE/cases.sh"

WORK=$(mktemp -d)
trap '[[ -n "${KEEP_WORK:-}" ]] || rm -rf "$WORK"' EXIT

# Fixed dates (UTCTime, YYMMDDHHMMSSZ)
START=250101000000Z      # 2025-01-01
END=450101000000Z        # 2045-01-01
EXP_START=200101000000Z  # 2020-01-01 (expired case)
EXP_END=210101000000Z    # 2021-01-01
NYV_START=400101000000Z  # 2040-01-01 (not-yet-valid case)
CRL_THIS=260101000000Z   # 2026-01-01
CRL_NEXT=440101000000Z   # 2044-01-01
STALE_THIS=250101000000Z # 2025-01-01 (stale CRL)
STALE_NEXT=250201000000Z # 2025-02-01
REVOKED_AT=251201000000Z # 2025-12-01

# Clean previous output (only files this script makes)
rm -f "$OUT"/*.pem "$OUT"/*.key "$OUT"/*.p12 "$OUT"/manifest.json

# ---------------------------------------------------------------- config
cat >"$WORK/ca.cnf" <<'EOF'
[ ca ]
default_ca = CA_default

[ CA_default ]
dir             = ${ENV::CADIR}
database        = $dir/index.txt
new_certs_dir   = $dir/new
serial          = $dir/serial
crlnumber       = $dir/crlnumber
default_md      = sha256
policy          = policy_any
unique_subject  = no
email_in_dn     = no
copy_extensions = none
preserve        = yes
crl_extensions  = crl_ext

[ policy_any ]
countryName      = optional
organizationName = optional
commonName       = supplied

[ crl_ext ]
authorityKeyIdentifier = keyid:always

[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = placeholder
EOF

cat >"$WORK/ext.cnf" <<'EOF'
[ v3_root ]
basicConstraints       = critical,CA:TRUE
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash

[ v3_inter ]
basicConstraints       = critical,CA:TRUE,pathlen:0
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_subca ]
basicConstraints       = critical,CA:TRUE
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_notca ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_inter_nc ]
basicConstraints       = critical,CA:TRUE,pathlen:0
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
nameConstraints        = critical,permitted;email:example.test

[ v3_inter_policy ]
basicConstraints       = critical,CA:TRUE,pathlen:0
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
certificatePolicies    = 2.5.29.32.0
policyConstraints      = critical,requireExplicitPolicy:0

# --- end entities: the RSA profile is the template for every broken case ---
[ ee_rsa ]
basicConstraints       = CA:FALSE
keyUsage               = critical,digitalSignature,nonRepudiation,keyEncipherment
extendedKeyUsage       = emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = email:${ENV::SAN}

[ ee_sig ]
basicConstraints       = CA:FALSE
keyUsage               = critical,digitalSignature,nonRepudiation
extendedKeyUsage       = emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = email:${ENV::SAN}

[ ee_ec ]
basicConstraints       = CA:FALSE
keyUsage               = critical,digitalSignature,nonRepudiation,keyAgreement
extendedKeyUsage       = emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = email:${ENV::SAN}

[ ee_bad_ku ]
basicConstraints       = CA:FALSE
keyUsage               = critical,dataEncipherment
extendedKeyUsage       = emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = email:${ENV::SAN}

[ ee_bad_eku ]
basicConstraints       = CA:FALSE
keyUsage               = critical,digitalSignature,nonRepudiation,keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = email:${ENV::SAN}

[ ee_unknown_crit ]
basicConstraints       = CA:FALSE
keyUsage               = critical,digitalSignature,nonRepudiation,keyEncipherment
extendedKeyUsage       = emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = email:${ENV::SAN}
1.3.6.1.4.1.55555.99   = critical,DER:0500

[ ee_policy ]
basicConstraints       = CA:FALSE
keyUsage               = critical,digitalSignature,nonRepudiation,keyEncipherment
extendedKeyUsage       = emailProtection
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = email:${ENV::SAN}
certificatePolicies    = 1.3.6.1.4.1.55555.1.2
EOF

export OPENSSL_CONF="$WORK/ca.cnf"
export SAN=none CADIR="$WORK" # placeholders; set per call

# ---------------------------------------------------------------- helpers
genkey() { # genkey TYPE OUTFILE   (PKCS#8 PEM, unencrypted)
  case "$1" in
    rsa1024) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$2" ;;
    rsa2048) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" ;;
    rsa3072) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$2" ;;
    rsa-pss) openssl genpkey -quiet -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out "$2" ;;
    p256) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$2" ;;
    p384) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -out "$2" ;;
    ed25519) openssl genpkey -quiet -algorithm ED25519 -out "$2" ;;
    *) echo "unknown key type $1" >&2; exit 1 ;;
  esac
}

newca_db() { # newca_db NAME  -> throwaway openssl ca database in $WORK/db/NAME
  local d="$WORK/db/$1"
  mkdir -p "$d/new"
  : >"$d/index.txt"
  printf '01%s\n' "$(openssl rand -hex 15)" >"$d/serial"
  echo 1000 >"$d/crlnumber"
}

csr() { # csr KEYFILE "CN" OUTCSR
  openssl req -new -key "$1" -subj "/C=XX/O=smimekit test/CN=$2" -out "$3"
}

# issue CA_NAME CA_CERT CA_KEY CSR EXT_SECTION OUT START END [extra openssl ca args...]
issue() {
  local caname=$1 cacert=$2 cakey=$3 req=$4 ext=$5 out=$6 s=$7 e=$8
  shift 8
  CADIR="$WORK/db/$caname" openssl ca -batch -notext -config "$WORK/ca.cnf" \
    -cert "$cacert" -keyfile "$cakey" -in "$req" -out "$out" \
    -extfile "$WORK/ext.cnf" -extensions "$ext" -startdate "$s" -enddate "$e" "$@" 2>"$WORK/ca.log" \
    || { cat "$WORK/ca.log" >&2; exit 1; }
}

selfsign_root() { # selfsign_root NAME KEY "CN" OUT
  newca_db "$1"
  csr "$2" "$3" "$WORK/$1.csr"
  CADIR="$WORK/db/$1" openssl ca -batch -notext -selfsign -config "$WORK/ca.cnf" \
    -keyfile "$2" -in "$WORK/$1.csr" -out "$4" \
    -extfile "$WORK/ext.cnf" -extensions v3_root -startdate "$START" -enddate "$END" 2>"$WORK/ca.log" \
    || { cat "$WORK/ca.log" >&2; exit 1; }
}

ee_dated() { # ee_dated NAME KEYTYPE CN EMAIL EXT CA_NAME CA_CERT CA_KEY START END [extra]
  local name=$1 kt=$2 cn=$3 email=$4 ext=$5 caname=$6 cacert=$7 cakey=$8 s=$9 e=${10}
  shift 10
  genkey "$kt" "$OUT/$name.key"
  csr "$OUT/$name.key" "$cn" "$WORK/$name.csr"
  SAN=$email issue "$caname" "$cacert" "$cakey" "$WORK/$name.csr" "$ext" "$OUT/$name.pem" "$s" "$e" "$@"
}

# subca NAME KEYTYPE "CN" EXT ISSUER_DB ISSUER_CERT ISSUER_KEY [extra]  -> $OUT/NAME.pem, key in $WORK
subca() {
  local name=$1 kt=$2 cn=$3 ext=$4 caname=$5 cacert=$6 cakey=$7
  shift 7
  genkey "$kt" "$WORK/$name.key"
  csr "$WORK/$name.key" "$cn" "$WORK/$name.csr"
  issue "$caname" "$cacert" "$cakey" "$WORK/$name.csr" "$ext" "$OUT/$name.pem" "$START" "$END" "$@"
  newca_db "$name"
}

p12() { # p12 NAME "friendly name" CHAIN_FILES...
  local name=$1 fn=$2
  shift 2
  cat "$@" >"$WORK/$name.chain"
  openssl pkcs12 -export -in "$OUT/$name.pem" -inkey "$OUT/$name.key" -certfile "$WORK/$name.chain" \
    -name "$fn" -passout pass:test -out "$OUT/$name.p12"
}

flip_last_byte() { # flip_last_byte IN.pem OUT.pem  (coreutils only)
  local der="$WORK/flip.der" len last
  openssl x509 -in "$1" -outform DER -out "$der"
  len=$(stat -c %s "$der")
  last=$(tail -c 1 "$der" | od -An -tu1 | tr -d ' \n')
  { head -c $((len - 1)) "$der"; printf "\\$(printf '%03o' $((last ^ 1)))"; } >"$der.new"
  openssl x509 -inform DER -in "$der.new" -out "$2"
}

# ---------------------------------------------------------------- CAs
genkey rsa3072 "$OUT/root.key"
selfsign_root root "$OUT/root.key" "smimekit Test Root CA" "$OUT/root.pem"

genkey rsa2048 "$OUT/intermediate.key"
csr "$OUT/intermediate.key" "smimekit Test Intermediate CA" "$WORK/intermediate.csr"
issue root "$OUT/root.pem" "$OUT/root.key" "$WORK/intermediate.csr" v3_inter "$OUT/intermediate.pem" "$START" "$END"
newca_db intermediate
INT=(intermediate "$OUT/intermediate.pem" "$OUT/intermediate.key")
ROOT=(root "$OUT/root.pem" "$OUT/root.key")

subca intermediate-ec p384 "smimekit Test ECDSA Intermediate CA" v3_inter "${ROOT[@]}"
subca intermediate-ed25519 ed25519 "smimekit Test Ed25519 Intermediate CA" v3_inter "${ROOT[@]}"
subca inter-not-ca rsa2048 "smimekit Test Not-a-CA Intermediate" v3_notca "${ROOT[@]}"
subca inter-nc rsa2048 "smimekit Test Name-Constrained Intermediate CA" v3_inter_nc "${ROOT[@]}"
subca inter-policy rsa2048 "smimekit Test Policy Intermediate CA" v3_inter_policy "${ROOT[@]}"
subca intermediate-sub rsa2048 "smimekit Test Sub-CA below pathlen 0" v3_subca "${INT[@]}"

genkey rsa3072 "$WORK/untrusted-root.key"
selfsign_root untrusted-root "$WORK/untrusted-root.key" "smimekit Untrusted Root CA" "$OUT/untrusted-root.pem"
subca untrusted-intermediate rsa2048 "smimekit Untrusted Intermediate CA" v3_inter \
  untrusted-root "$OUT/untrusted-root.pem" "$WORK/untrusted-root.key"

# ---------------------------------------------------------------- good users
ee_dated ee-rsa rsa2048 "RSA User" rsa.user@example.test ee_rsa "${INT[@]}" "$START" "$END"
ee_dated ee-rsa-pss rsa-pss "RSA-PSS User" rsa-pss.user@example.test ee_sig "${INT[@]}" "$START" "$END" \
  -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32
ee_dated ee-p256 p256 "P-256 User" p256.user@example.test ee_ec "${INT[@]}" "$START" "$END"
ee_dated ee-p384 p384 "P-384 User" p384.user@example.test ee_ec "${INT[@]}" "$START" "$END"
ee_dated ee-ed25519 ed25519 "Ed25519 User" ed25519.user@example.test ee_sig "${INT[@]}" "$START" "$END"
ee_dated ee-p256-ecca p256 "P-256 User under ECDSA CA" p256-ecca.user@example.test ee_ec \
  intermediate-ec "$OUT/intermediate-ec.pem" "$WORK/intermediate-ec.key" "$START" "$END" -md sha384
ee_dated ee-ed25519-edca ed25519 "Ed25519 User under Ed25519 CA" ed25519-edca.user@example.test ee_sig \
  intermediate-ed25519 "$OUT/intermediate-ed25519.pem" "$WORK/intermediate-ed25519.key" "$START" "$END"
ee_dated ee-nc-ok rsa2048 "Name-Constrained User" nc.user@example.test ee_rsa \
  inter-nc "$OUT/inter-nc.pem" "$WORK/inter-nc.key" "$START" "$END"
ee_dated ee-policy rsa2048 "Policy User" policy.user@example.test ee_policy \
  inter-policy "$OUT/inter-policy.pem" "$WORK/inter-policy.key" "$START" "$END"

for u in rsa rsa-pss p256 p384 ed25519; do
  p12 "ee-$u" "$u user" "$OUT/intermediate.pem" "$OUT/root.pem"
done

# ---------------------------------------------------------------- broken users (RSA profile)
ee_dated bad-expired rsa2048 "Expired User" expired.user@example.test ee_rsa "${INT[@]}" "$EXP_START" "$EXP_END"
ee_dated bad-not-yet-valid rsa2048 "Not Yet Valid User" future.user@example.test ee_rsa "${INT[@]}" "$NYV_START" "$END"
ee_dated bad-untrusted-root rsa2048 "Untrusted Root User" untrusted.user@example.test ee_rsa \
  untrusted-intermediate "$OUT/untrusted-intermediate.pem" "$WORK/untrusted-intermediate.key" "$START" "$END"
ee_dated bad-signature-orig rsa2048 "Bad Signature User" badsig.user@example.test ee_rsa "${INT[@]}" "$START" "$END"
flip_last_byte "$OUT/bad-signature-orig.pem" "$OUT/bad-signature.pem"
rm "$OUT/bad-signature-orig.pem"
mv "$OUT/bad-signature-orig.key" "$OUT/bad-signature.key"
ee_dated bad-not-ca rsa2048 "Not-CA Issued User" notca.user@example.test ee_rsa \
  inter-not-ca "$OUT/inter-not-ca.pem" "$WORK/inter-not-ca.key" "$START" "$END"
ee_dated bad-path-length rsa2048 "Path Length User" pathlen.user@example.test ee_rsa \
  intermediate-sub "$OUT/intermediate-sub.pem" "$WORK/intermediate-sub.key" "$START" "$END"
ee_dated bad-key-usage rsa2048 "Key Usage User" ku.user@example.test ee_bad_ku "${INT[@]}" "$START" "$END"
ee_dated bad-eku rsa2048 "EKU User" eku.user@example.test ee_bad_eku "${INT[@]}" "$START" "$END"
ee_dated bad-name-constraints rsa2048 "Evil User" user@evil.test ee_rsa \
  inter-nc "$OUT/inter-nc.pem" "$WORK/inter-nc.key" "$START" "$END"
ee_dated bad-policy-none rsa2048 "No Policy User" nopolicy.user@example.test ee_rsa \
  inter-policy "$OUT/inter-policy.pem" "$WORK/inter-policy.key" "$START" "$END"
ee_dated bad-revoked rsa2048 "Revoked User" revoked.user@example.test ee_rsa "${INT[@]}" "$START" "$END"
ee_dated bad-weak-sha1 rsa2048 "SHA-1 User" sha1.user@example.test ee_rsa "${INT[@]}" "$START" "$END" -md sha1
ee_dated bad-weak-rsa1024 rsa1024 "RSA-1024 User" rsa1024.user@example.test ee_rsa "${INT[@]}" "$START" "$END"
ee_dated bad-unknown-critical rsa2048 "Critical Extension User" critical.user@example.test ee_unknown_crit "${INT[@]}" "$START" "$END"

# ---------------------------------------------------------------- CRLs (fixed dates)
gencrl() { # gencrl CA_NAME CA_CERT CA_KEY THIS NEXT OUT
  CADIR="$WORK/db/$1" openssl ca -batch -gencrl -config "$WORK/ca.cnf" -cert "$2" -keyfile "$3" \
    -crl_lastupdate "$4" -crl_nextupdate "$5" -out "$6" 2>"$WORK/ca.log" \
    || { cat "$WORK/ca.log" >&2; exit 1; }
}
gencrl root "$OUT/root.pem" "$OUT/root.key" "$CRL_THIS" "$CRL_NEXT" "$OUT/root.crl.pem"
# stale CRL first (lower CRL number, nothing revoked yet)
gencrl "${INT[@]}" "$STALE_THIS" "$STALE_NEXT" "$OUT/intermediate-stale.crl.pem"
# revoke bad-revoked with a fixed revocation date: rewrite its index.txt line (pure bash)
REV_SERIAL=$(openssl x509 -in "$OUT/bad-revoked.pem" -noout -serial)
REV_SERIAL=${REV_SERIAL#serial=}
idx="$WORK/db/intermediate/index.txt"
found=0
# index.txt: status TAB expiry TAB revocation TAB serial TAB file TAB subject (empty fields allowed)
while IFS='|' read -r st exp rev ser file subj; do
  if [[ "$ser" == "$REV_SERIAL" ]]; then st=R; rev="$REVOKED_AT,keyCompromise"; found=1; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$st" "$exp" "$rev" "$ser" "$file" "$subj"
done < <(tr '\t' '|' <"$idx") >"$idx.new"
mv "$idx.new" "$idx"
[[ $found == 1 ]] || { echo "revoked serial $REV_SERIAL not in index" >&2; exit 1; }
gencrl "${INT[@]}" "$CRL_THIS" "$CRL_NEXT" "$OUT/intermediate.crl.pem"

# ---------------------------------------------------------------- OpenSSL-only trust variants
# (the TS tests express anchor EKU through an SST property instead)
openssl x509 -in "$OUT/root.pem" -addtrust serverAuth -out "$OUT/root-trust-serverauth.pem"
openssl x509 -in "$OUT/root.pem" -addtrust emailProtection -out "$OUT/root-trust-email.pem"

# ---------------------------------------------------------------- manifest.json
js() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
jarr() { # jarr "a b c" -> ["a", "b", "c"]
  local first=1 x
  printf '['
  for x in $1; do
    ((first)) || printf ', '
    first=0
    js "$x"
  done
  printf ']'
}

define_cases
{
  printf '{\n'
  printf '  "validationTime": "%s",\n' "$VALIDATION_TIME"
  printf '  "generatedBy": "vectors/chains/make.sh (OpenSSL %s)",\n' "$(openssl version | cut -d' ' -f2)"
  printf '  "anchors": %s,\n' "$(jarr "$DEFAULT_ANCHORS")"
  printf '  "cases": [\n'
  n=${#CASES[@]}
  for ((i = 0; i < n; i++)); do
    ossl_run "$i" "$OUT"
    ossl_args "$i"
    p="    {"
    p+=" \"name\": $(js "${CF[$i.name]}"),"
    p+=" \"ee\": $(js "${CF[$i.ee]}"),"
    p+=" \"intermediates\": $(jarr "${CF[$i.inter]:-}"),"
    [[ -n "${CF[$i.anchors]:-}" ]] && p+=" \"anchors\": $(jarr "${CF[$i.anchors]}"),"
    p+=" \"crls\": $(jarr "${CF[$i.crls]:-}"),"
    p+=" \"purpose\": $(js "${CF[$i.purpose]}"),"
    [[ -n "${CF[$i.email]:-}" ]] && p+=" \"email\": $(js "${CF[$i.email]}"),"
    p+=" \"revocation\": $(js "${CF[$i.revocation]:-off}"),"
    if [[ -n "${CF[$i.policySet]:-}${CF[$i.explicit]:-}${CF[$i.inhibitMap]:-}${CF[$i.inhibitAny]:-}" ]]; then
      pol=""
      [[ -n "${CF[$i.policySet]:-}" ]] && pol+="\"initialPolicySet\": $(jarr "${CF[$i.policySet]}"), "
      pol+="\"requireExplicitPolicy\": ${CF[$i.explicit]:-false}, "
      pol+="\"inhibitPolicyMapping\": ${CF[$i.inhibitMap]:-false}, "
      pol+="\"inhibitAnyPolicy\": ${CF[$i.inhibitAny]:-false}"
      p+=" \"policy\": { $pol },"
    fi
    p+=" \"allowWeak\": ${CF[$i.allowWeak]:-false},"
    [[ -n "${CF[$i.anchorEku]:-}" ]] && p+=" \"anchorEku\": $(jarr "${CF[$i.anchorEku]}"),"
    p+=" \"expected\": $(js "${CF[$i.expected]}"),"
    p+=" \"description\": $(js "${CF[$i.desc]}"),"
    p+=" \"openssl\": $(js "$OSSL_RESULT"),"
    [[ -n "${CF[$i.osslNote]:-}" ]] && p+=" \"opensslNote\": $(js "${CF[$i.osslNote]}"),"
    p+=" \"opensslCommand\": $(js "openssl verify ${OSSL_ARGS[*]}")"
    p+=" }"
    ((i < n - 1)) && p+=","
    printf '%s\n' "$p"
  done
  printf '  ]\n}\n'
} >"$OUT/manifest.json"

echo "wrote $(ls "$OUT" | wc -l) files to $OUT"
bash "$HERE/check.sh"
