#!/usr/bin/env bash
# Writes the certificates https_client_test.cpp uses, next to this script:
#   ca.pem / ca.key                    a test CA
#   server.pem / server.key            a server certificate signed by the CA, for DNS:localhost
#                                      only (so https://127.0.0.1 must fail host-name checks)
#   other-name.pem / other-name.key    signed by the CA, but for DNS:other.example only
#   self-signed.pem / self-signed.key  a self-signed certificate for DNS:localhost
# All valid for 100 years so the tests never expire.
#
# TEST-ONLY KEYS: the private keys are committed on purpose and protect nothing. Never trust
# ca.pem anywhere but in these tests.
#
# Re-run only to replace them (needs the openssl CLI, 1.1.1 or later).
set -euo pipefail
cd "$(dirname "$0")"
days=36500
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/CN=Rapport Test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out ca.pem

# signed NAME DNS-NAME: NAME.key and NAME.pem, a server certificate for DNS-NAME from the CA.
signed() {
    key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$2" -out "$tmp/$1.csr"
    cat >"$tmp/$1.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:$2
authorityKeyIdentifier=keyid
subjectKeyIdentifier=hash
EXT
    openssl x509 -req -in "$tmp/$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
        -CAserial "$tmp/ca.srl" -sha256 -days "$days" -extfile "$tmp/$1.ext" -out "$1.pem"
}
signed server localhost
signed other-name other.example

key self-signed.key
openssl req -x509 -new -key self-signed.key -sha256 -days "$days" -subj "/CN=localhost" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" \
    -addext "subjectAltName=DNS:localhost" \
    -out self-signed.pem

chmod 644 ./*.key ./*.pem
openssl verify -CAfile ca.pem server.pem other-name.pem
