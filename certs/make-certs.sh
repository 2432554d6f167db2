#!/usr/bin/env bash
# make-certs.sh - build the smimekit demo and test certificate hierarchies.
#
#   make-certs.sh demo OUTDIR           new root + intermediate CA and the demo
#                                       users alice, bob, carol
#   make-certs.sh audit DEMODIR         two more demo users for the audit, from
#                                       the intermediate CA in DEMODIR: dave
#                                       (expired) and erin (revoked, listed in
#                                       a new DEMODIR/intermediate.crl.pem).
#                                       Touches no other file.
#   make-certs.sh test DEMODIR OUTDIR   odd certificates for tests, issued by
#                                       the intermediate CA found in DEMODIR
#   make-certs.sh server DEMODIR OUTDIR_DEMO OUTDIR_TEST
#                                       TLS certificates for the test POP3
#                                       server (localhost): pop3-server in
#                                       OUTDIR_DEMO from the demo intermediate,
#                                       untrusted-server in OUTDIR_TEST from
#                                       the unrelated root of OUTDIR_TEST.
#                                       Touches no other file.
#
# Only the openssl command line (OpenSSL 3.0) is used; no network access.
# Every run creates new keys and overwrites the files it writes in OUTDIR.
# The committed output under certs/demo and certs/test is what tests use.
#
# THE KEYS MADE HERE ARE PUBLIC TEST KEYS. Never use them for real mail.

set -euo pipefail

readonly PASS=demo                  # password of every .p12 and -enc.key
readonly ORG="smimekit demo"
readonly MAIL_DOMAIN=example.org

# Fixed validity windows so the committed files keep working for decades.
readonly CA_START=20250101000000Z   CA_END=20850101000000Z
readonly USER_START=20250101000000Z USER_END=20750101000000Z
# CRLs get fixed dates too (nextUpdate 50 years after lastUpdate), so they
# do not depend on the clock of the machine that made them: a lastUpdate in
# the verifier's future would make them "not yet valid".
readonly CRL_LAST=20250101000000Z CRL_NEXT=20750101000000Z
# Test CRL: a bit newer than the demo intermediate CRL it supersedes.
readonly TEST_CRL_LAST=20250601000000Z TEST_CRL_NEXT=20750601000000Z
readonly REVOKED_AT=250601000000Z   # openssl ca database format (UTCTime)
# The expired demo user: valid during 2025 only.
readonly EXPIRED_START=20250101000000Z EXPIRED_END=20260101000000Z

usage() {
    cat >&2 <<EOF
usage: $0 demo OUTDIR
       $0 audit DEMODIR
       $0 test DEMODIR OUTDIR
       $0 server DEMODIR OUTDIR_DEMO OUTDIR_TEST
EOF
    exit 2
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
LOG=$WORK/openssl.log

# Keep openssl's chatter (openssl ca is verbose) out of the way, but show it
# if a command fails.
run() {
    if ! "$@" >>"$LOG" 2>&1; then
        echo "error: command failed: $*" >&2
        tail -n 30 "$LOG" >&2
        exit 1
    fi
}

# Minimal config for `openssl req`: the subject always comes from -subj and
# no extensions go into the request (openssl ca adds them from -extfile), so
# the system openssl.cnf cannot leak anything into our certificates.
REQ_CNF=$WORK/req.cnf
cat >"$REQ_CNF" <<'EOF'
[ req ]
distinguished_name = req_dn
prompt = no
string_mask = utf8only
[ req_dn ]
EOF

# genkey TYPE FILE - unencrypted PKCS#8 PEM key; TYPE is rsaBITS or p256.
genkey() {
    case $1 in
        rsa*) run openssl genpkey -algorithm RSA \
                  -pkeyopt "rsa_keygen_bits:${1#rsa}" -out "$2" ;;
        p256) run openssl genpkey -algorithm EC \
                  -pkeyopt ec_paramgen_curve:P-256 \
                  -pkeyopt ec_param_enc:named_curve -out "$2" ;;
        *) echo "genkey: unknown key type $1" >&2; exit 1 ;;
    esac
}

# init_ca NAME KEY [CRLNUMBER] - throwaway `openssl ca` directory and config
# in $WORK/ca-NAME. The CA key is copied in, so odd characters in OUTDIR never
# end up in the config file. The CA certificate is expected in
# $WORK/ca-NAME/ca.pem (copied there by the caller; for a root only after it
# has been self-signed).
init_ca() {
    local name=$1 key=$2 crlnum=${3:-01}
    local d=$WORK/ca-$name
    mkdir -p "$d/newcerts"
    cp "$key" "$d/ca.key"
    : >"$d/index.txt"
    echo "$crlnum" >"$d/crlnumber"
    cat >"$d/ca.cnf" <<EOF
[ ca ]
default_ca = CA_default

[ CA_default ]
dir             = $d
database        = \$dir/index.txt
new_certs_dir   = \$dir/newcerts
certificate     = \$dir/ca.pem
private_key     = \$dir/ca.key
crlnumber       = \$dir/crlnumber
# random 159-bit serial numbers, nothing stored in a serial file
rand_serial     = yes
# the test set issues several certs with similar subjects; allow repeats
unique_subject  = no
default_md      = sha256
# only the extensions from -extfile, never any from the request
copy_extensions = none
policy          = policy_demo
# needed for the dnemail test certificate; other requests carry no email
email_in_dn     = yes
crl_extensions  = crl_ext

# Subject DN comes out in this order: O, CN [, emailAddress].
[ policy_demo ]
organizationName = optional
commonName       = supplied
emailAddress     = optional

[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF
}

# Extension files for `openssl ca -extfile FILE -extensions ext`.
ca_ext() { # ca_ext PATHLEN_OR_EMPTY -> prints file name
    local f=$WORK/ext-ca.cnf
    {
        echo "[ ext ]"
        if [[ -n $1 ]]; then
            echo "basicConstraints = critical, CA:TRUE, pathlen:$1"
        else
            echo "basicConstraints = critical, CA:TRUE"
        fi
        echo "keyUsage = critical, keyCertSign, cRLSign"
        echo "subjectKeyIdentifier = hash"
        echo "authorityKeyIdentifier = keyid:always"
    } >"$f"
    echo "$f"
}

user_ext() { # user_ext EMAIL KEYUSAGE EKU -> prints file name; no SAN if EMAIL=""
    local f=$WORK/ext-user.cnf
    {
        echo "[ ext ]"
        echo "basicConstraints = CA:FALSE"
        echo "keyUsage = critical, $2"
        echo "extendedKeyUsage = $3"
        echo "subjectKeyIdentifier = hash"
        echo "authorityKeyIdentifier = keyid:always"
        if [[ -n $1 ]]; then
            echo "subjectAltName = email:$1"
        fi
    } >"$f"
    echo "$f"
}

server_ext() { # server_ext -> prints file name; a TLS server named localhost
    local f=$WORK/ext-server.cnf
    {
        echo "[ ext ]"
        echo "basicConstraints = CA:FALSE"
        echo "keyUsage = critical, digitalSignature, keyEncipherment"
        echo "extendedKeyUsage = serverAuth"
        echo "subjectKeyIdentifier = hash"
        echo "authorityKeyIdentifier = keyid:always"
        echo "subjectAltName = DNS:localhost, IP:127.0.0.1"
    } >"$f"
    echo "$f"
}

readonly KU_RSA="digitalSignature, nonRepudiation, keyEncipherment"
readonly KU_EC="digitalSignature, nonRepudiation, keyAgreement"

# issue CA KEY SUBJECT EXTFILE OUTCERT START END [MD] [-selfsign]
# Makes a request for KEY and lets CA sign it with explicit dates.
issue() {
    local ca=$1 key=$2 subj=$3 ext=$4 out=$5 start=$6 end=$7 md=${8:-sha256}
    local extra=()
    if [[ ${9:-} == -selfsign ]]; then
        extra=(-selfsign -keyfile "$key")
    fi
    run openssl req -new -config "$REQ_CNF" -key "$key" -subj "$subj" \
        -out "$WORK/req.csr"
    run openssl ca -batch -notext -config "$WORK/ca-$ca/ca.cnf" \
        "${extra[@]}" -in "$WORK/req.csr" -out "$out" \
        -extfile "$ext" -extensions ext -md "$md" \
        -startdate "$start" -enddate "$end"
}

gencrl() { # gencrl CA OUTFILE LASTUPDATE NEXTUPDATE
    run openssl ca -batch -config "$WORK/ca-$1/ca.cnf" -gencrl \
        -crl_lastupdate "$3" -crl_nextupdate "$4" -out "$2"
}

# make_root NAME CN OUTDIR - self-signed root NAME.key / NAME.pem, and a CA
# directory of the same name ready to issue.
make_root() {
    local name=$1 cn=$2 out=$3
    genkey rsa3072 "$out/$name.key"
    init_ca "$name" "$out/$name.key"
    issue "$name" "$out/$name.key" "/O=$ORG/CN=$cn" "$(ca_ext "")" \
        "$out/$name.pem" "$CA_START" "$CA_END" sha256 -selfsign
    cp "$out/$name.pem" "$WORK/ca-$name/ca.pem"
}

# openssl writes key files with mode 0600. These keys are public test data
# and get committed, so make them readable like any other checked-out file.
public_keys() { # public_keys OUTDIR
    local f
    for f in "$1"/*.key "$1"/*.p12; do
        if [[ -e $f ]]; then chmod a+r "$f"; fi
    done
}

# ---------------------------------------------------------------------------

make_demo() {
    local out=$1
    mkdir -p "$out"

    make_root root "Demo Root CA" "$out"

    genkey rsa3072 "$out/intermediate.key"
    issue root "$out/intermediate.key" "/O=$ORG/CN=Demo Intermediate CA" \
        "$(ca_ext 0)" "$out/intermediate.pem" "$CA_START" "$CA_END"
    init_ca intermediate "$out/intermediate.key"
    cp "$out/intermediate.pem" "$WORK/ca-intermediate/ca.pem"

    # The .p12 files carry the whole chain above the user: intermediate + root.
    cat "$out/intermediate.pem" "$out/root.pem" >"$WORK/p12-cas.pem"

    # name  key-type  common name
    local users=(
        "alice rsa2048 Alice Demo"
        "bob   rsa3072 Bob Demo"
        "carol p256    Carol Demo"
    )
    local line u type cn ku
    for line in "${users[@]}"; do
        read -r u type cn <<<"$line"
        if [[ $type == p256 ]]; then ku=$KU_EC; else ku=$KU_RSA; fi
        genkey "$type" "$out/$u.key"
        issue intermediate "$out/$u.key" "/O=$ORG/CN=$cn" \
            "$(user_ext "$u@$MAIL_DOMAIN" "$ku" emailProtection)" \
            "$out/$u.pem" "$USER_START" "$USER_END"
        cp "$out/intermediate.pem" "$out/$u-chain.pem"
        run openssl x509 -in "$out/$u.pem" -outform DER -out "$out/$u.der"
        # Same key, PKCS#8 encrypted: PBES2 with AES-256-CBC, PBKDF2/SHA-256.
        run openssl pkcs8 -topk8 -in "$out/$u.key" -out "$out/$u-enc.key" \
            -v2 aes-256-cbc -v2prf hmacWithSHA256 -passout "pass:$PASS"
        # These are the OpenSSL 3 defaults, spelled out so the files never
        # fall back to the legacy RC2/3DES encryption.
        run openssl pkcs12 -export -out "$out/$u.p12" -name "$cn" \
            -inkey "$out/$u.key" -in "$out/$u.pem" \
            -certfile "$WORK/p12-cas.pem" \
            -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 \
            -passout "pass:$PASS"
    done

    # An empty root CRL, so revocation checks (-crl_check_all) can run on the demo;
    # the intermediate's CRL comes from make_audit and lists erin.
    gencrl root "$out/root.crl.pem" "$CRL_LAST" "$CRL_NEXT"
    public_keys "$out"
    make_audit "$out"
}

# The users `smimekit audit` shows going wrong in the demo hierarchy: dave has expired, erin
# is revoked. The intermediate's CRL is rewritten to list erin (same number and dates as the
# empty one it replaces, so it stays older than certs/test/revoked.crl.pem).
make_audit() {
    local demo=$1 f
    for f in intermediate.pem intermediate.key; do
        if [[ ! -f $demo/$f ]]; then
            echo "error: $demo/$f not found (run '$0 demo $demo' first)" >&2
            exit 1
        fi
    done
    init_ca intermediate "$demo/intermediate.key"
    cp "$demo/intermediate.pem" "$WORK/ca-intermediate/ca.pem"
    local ext
    genkey rsa2048 "$demo/dave.key"
    ext=$(user_ext "dave@$MAIL_DOMAIN" "$KU_RSA" emailProtection)
    issue intermediate "$demo/dave.key" "/O=$ORG/CN=Dave Demo" "$ext" "$demo/dave.pem" \
        "$EXPIRED_START" "$EXPIRED_END"
    genkey rsa2048 "$demo/erin.key"
    ext=$(user_ext "erin@$MAIL_DOMAIN" "$KU_RSA" emailProtection)
    issue intermediate "$demo/erin.key" "/O=$ORG/CN=Erin Demo" "$ext" "$demo/erin.pem" \
        "$USER_START" "$USER_END"
    run openssl ca -batch -config "$WORK/ca-intermediate/ca.cnf" \
        -revoke "$demo/erin.pem" -crl_reason keyCompromise
    local db=$WORK/ca-intermediate/index.txt
    awk -F'\t' -v OFS='\t' -v at="$REVOKED_AT" \
        '$1 == "R" { sub(/^[0-9]+Z/, at, $3) } { print }' "$db" >"$db.new"
    mv "$db.new" "$db"
    gencrl intermediate "$demo/intermediate.crl.pem" "$CRL_LAST" "$CRL_NEXT"
    public_keys "$demo"
}

make_test() {
    local demo=$1 out=$2 f
    for f in root.pem intermediate.pem intermediate.key; do
        if [[ ! -f $demo/$f ]]; then
            echo "error: $demo/$f not found (run '$0 demo $demo' first)" >&2
            exit 1
        fi
    done
    mkdir -p "$out"

    # Reuse the demo intermediate, so the demo root is the trust anchor for
    # everything below except "unrelated". Its CRL number starts at 2, so
    # revoked.crl.pem counts as newer than demo/intermediate.crl.pem (1).
    init_ca intermediate "$demo/intermediate.key" 02
    cp "$demo/intermediate.pem" "$WORK/ca-intermediate/ca.pem"

    # test_user NAME CN KEYTYPE EMAIL_SAN KEYUSAGE EKU START END MD [DN_EMAIL]
    # (an empty EMAIL_SAN means no subjectAltName; uses $demo and $out)
    test_user() {
        local u=$1 cn=$2 type=$3 san=$4 ku=$5 eku=$6 start=$7 end=$8 md=$9
        local dnmail=${10:-} subj="/O=$ORG/CN=$cn"
        if [[ -n $dnmail ]]; then subj+="/emailAddress=$dnmail"; fi
        genkey "$type" "$out/$u.key"
        issue intermediate "$out/$u.key" "$subj" \
            "$(user_ext "$san" "$ku" "$eku")" "$out/$u.pem" "$start" "$end" "$md"
        cp "$demo/intermediate.pem" "$out/$u-chain.pem"
    }

    local S=$USER_START E=$USER_END M=$MAIL_DOMAIN P=emailProtection
    #         name       CN                 key     SAN email        keyUsage           EKU         validity                        md
    test_user expired    "Expired Test"     rsa2048 "expired@$M"     "$KU_RSA"          $P          20200101000000Z 20210101000000Z sha256
    test_user notyet     "Not Yet Test"     rsa2048 "notyet@$M"      "$KU_RSA"          $P          20900101000000Z 20950101000000Z sha256
    test_user revoked    "Revoked Test"     rsa2048 "revoked@$M"     "$KU_RSA"          $P          $S $E                           sha256
    test_user serverauth "Server Auth Test" rsa2048 "serverauth@$M"  "$KU_RSA"          serverAuth  $S $E                           sha256
    test_user noemail    "No Email Test"    rsa2048 ""               "$KU_RSA"          $P          $S $E                           sha256
    test_user keyenc     "Key Enc Test"     rsa2048 "keyenc@$M"      keyEncipherment    $P          $S $E                           sha256
    test_user sha1       "SHA1 Test"        rsa2048 "sha1@$M"        "$KU_RSA"          $P          $S $E                           sha1
    test_user rsa1024    "RSA1024 Test"     rsa1024 "rsa1024@$M"     "$KU_RSA"          $P          $S $E                           sha256
    test_user dnemail    "DN Email Test"    rsa2048 ""               "$KU_RSA"          $P          $S $E                           sha256 "dnemail@$M"
    test_user eve        "Eve Test"         rsa2048 "eve@$M"         "$KU_RSA"          $P          $S $E                           sha256
    test_user manager    "Manager Test"     rsa2048 "manager@$M"     "$KU_RSA"          $P          $S $E                           sha256

    # CRL from the intermediate listing "revoked". The temporary database
    # holds only this run's certificates, so that is the only entry.
    run openssl ca -batch -config "$WORK/ca-intermediate/ca.cnf" \
        -revoke "$out/revoked.pem" -crl_reason keyCompromise
    # openssl ca stamps the revocation with the current time and has no
    # option for it; pin it in the database (column 3: "DATE,reason").
    local db=$WORK/ca-intermediate/index.txt
    awk -F'\t' -v OFS='\t' -v at="$REVOKED_AT" \
        '$1 == "R" { sub(/^[0-9]+Z/, at, $3) } { print }' "$db" >"$db.new"
    mv "$db.new" "$db"
    gencrl intermediate "$out/revoked.crl.pem" "$TEST_CRL_LAST" "$TEST_CRL_NEXT"

    # A second, unrelated hierarchy: self-signed root and a user issued
    # directly by it. No intermediate, so its chain file is left empty.
    make_root unrelated-root "Unrelated Root CA" "$out"
    genkey rsa2048 "$out/unrelated.key"
    issue unrelated-root "$out/unrelated.key" "/O=$ORG/CN=Unrelated Test" \
        "$(user_ext "unrelated@$M" "$KU_RSA" $P)" "$out/unrelated.pem" "$S" "$E"
    : >"$out/unrelated-chain.pem"
    public_keys "$out"
}

# Server certificates for the private Dovecot of the tests and the demo. Both
# are for "localhost" and 127.0.0.1 with the same profile; only the issuer
# differs, so a client that checks names but not trust would accept both.
# The -chain.pem files are what a server sends: the leaf first, then the
# intermediate (none for the unrelated root, which issues directly).
# The keys stay unencrypted because Dovecot reads them at startup.
make_server() {
    local demo=$1 out_demo=$2 out_test=$3 f
    for f in "$demo/intermediate.pem" "$demo/intermediate.key" \
             "$out_test/unrelated-root.pem" "$out_test/unrelated-root.key"; do
        if [[ ! -f $f ]]; then
            echo "error: $f not found (run the demo and test modes first)" >&2
            exit 1
        fi
    done
    mkdir -p "$out_demo"

    init_ca intermediate "$demo/intermediate.key"
    cp "$demo/intermediate.pem" "$WORK/ca-intermediate/ca.pem"
    genkey rsa2048 "$out_demo/pop3-server.key"
    issue intermediate "$out_demo/pop3-server.key" "/O=$ORG/CN=localhost" \
        "$(server_ext)" "$out_demo/pop3-server.pem" "$USER_START" "$USER_END"
    cat "$out_demo/pop3-server.pem" "$demo/intermediate.pem" \
        >"$out_demo/pop3-server-chain.pem"
    chmod a+r "$out_demo/pop3-server.key"

    init_ca unrelated-root "$out_test/unrelated-root.key"
    cp "$out_test/unrelated-root.pem" "$WORK/ca-unrelated-root/ca.pem"
    genkey rsa2048 "$out_test/untrusted-server.key"
    issue unrelated-root "$out_test/untrusted-server.key" "/O=$ORG/CN=localhost" \
        "$(server_ext)" "$out_test/untrusted-server.pem" "$USER_START" "$USER_END"
    cp "$out_test/untrusted-server.pem" "$out_test/untrusted-server-chain.pem"
    chmod a+r "$out_test/untrusted-server.key"
}

# ---------------------------------------------------------------------------

case ${1:-} in
    demo) [[ $# -eq 2 ]] || usage; make_demo "$2" ;;
    audit) [[ $# -eq 2 ]] || usage; make_audit "$2" ;;
    test) [[ $# -eq 3 ]] || usage; make_test "$2" "$3" ;;
    server) [[ $# -eq 4 ]] || usage; make_server "$2" "$3" "$4" ;;
    *) usage ;;
esac
