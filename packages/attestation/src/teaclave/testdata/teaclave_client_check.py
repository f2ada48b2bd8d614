#!/usr/bin/env python3
"""Checks a server's certificate the way Teaclave's Python SDK does before it sends a request.

Usage: teaclave_client_check.py HOST PORT AS_ROOT_CA_CERT ENCLAVE_INFO ENDPOINT

ENDPOINT is "authentication" or "frontend"; the enclave_info.toml entry checked is
teaclave_<ENDPOINT>_service. Exits 0 and prints "verified ..." when the certificate passes, 1 with
the reason on stderr otherwise. Steps (spec teaclave-compat.md section 7.1):
  1. TLS >= 1.2 with Teaclave's cipher list and ALPN h2, no certificate validation by the TLS layer;
  2. JSON of the certificate's first extension: {"report", "signature", "certs"};
  3. certs[0] must chain to the pinned attestation-service root (first certificate of the file),
     with the report's certificates in the store, as the SDK builds it;
  4. the report signature (RSA PKCS#1 v1.5, SHA-256) must verify under certs[0];
  5. quote = base64(isvEnclaveQuoteBody); quote[368:432] must equal the certificate's EC point X||Y;
  6. quote[112:144] (MRENCLAVE) and quote[176:208] (MRSIGNER) must match enclave_info.toml.
"""

import base64
import json
import socket
import ssl
import sys

import toml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from OpenSSL import crypto


def fetch_certificate(host, port):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20")
    context.set_alpn_protocols(["h2"])
    with socket.create_connection((host, port), timeout=10) as raw:
        with context.wrap_socket(raw) as tls:
            if tls.selected_alpn_protocol() != "h2":
                raise RuntimeError("server did not negotiate h2")
            return tls.getpeercert(binary_form=True)


def check(cert_der, as_root_path, enclave_info_path, endpoint):
    cert = x509.load_der_x509_certificate(cert_der)
    endorsed = json.loads(cert.extensions[0].value.value)
    report = bytes(endorsed["report"])
    signature = bytes(endorsed["signature"])
    certs = [x509.load_der_x509_certificate(bytes(c)) for c in endorsed["certs"]]

    with open(as_root_path, "rb") as f:
        as_root = crypto.load_certificate(crypto.FILETYPE_PEM, f.read())
    store = crypto.X509Store()
    store.add_cert(as_root)
    for c in certs:
        store.add_cert(crypto.X509.from_cryptography(c))
    try:
        crypto.X509StoreContext(store, crypto.X509.from_cryptography(certs[0])).verify_certificate()
    except crypto.X509StoreContextError as e:
        raise RuntimeError("report signing certificate does not chain to the AS root: %s" % e)

    certs[0].public_key().verify(signature, report, padding.PKCS1v15(), hashes.SHA256())

    quote = base64.b64decode(json.loads(report)["isvEnclaveQuoteBody"])
    if len(quote) != 432:
        raise RuntimeError("quote body is %d bytes, not 432" % len(quote))
    point = cert.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if quote[368:432] != point[1:]:
        raise RuntimeError("report_data does not bind the certificate key")

    info = toml.load(enclave_info_path)["teaclave_%s_service" % endpoint]
    mr_enclave = quote[112:144].hex()
    mr_signer = quote[176:208].hex()
    if mr_enclave != info["mr_enclave"]:
        raise RuntimeError("mr_enclave mismatch: %s" % mr_enclave)
    if mr_signer != info["mr_signer"]:
        raise RuntimeError("mr_signer mismatch: %s" % mr_signer)
    return mr_enclave, mr_signer


def main(argv):
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    host, port, as_root, enclave_info, endpoint = argv[1], int(argv[2]), argv[3], argv[4], argv[5]
    try:
        mr_enclave, mr_signer = check(fetch_certificate(host, port), as_root, enclave_info, endpoint)
    except Exception as e:  # every failure is a refusal
        print("refused: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    print("verified mr_enclave=%s mr_signer=%s" % (mr_enclave, mr_signer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
