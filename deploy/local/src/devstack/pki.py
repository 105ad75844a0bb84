"""A local certification authority for signed results: development and tests only.

Production reads each agency's key and certificate from secrets (docs/submission.md, "Signed results");
here a CA of the machine's own stands in for the national one, and each agency of the catalogue's
directory gets a certificate from it. The layout is what the submission service's signer reads
(``SUBMISSION_SIGNING_DIR``)::

    <dir>/ca.crt                  the trust root (PEM)
    <dir>/ca.key                  its key (here only: the service never reads it)
    <dir>/agencies/<code>.key     the agency's key (PKCS#8 PEM, EC P-256)
    <dir>/agencies/<code>.crt     its certificate (PEM): O and CN the agency's name, serialNumber its code

``ensure`` creates what is missing and leaves everything else as it is: running it again issues only the
certificates of agencies added since. Keys are written 0600 under a 0700 folder and are never committed
(``.data/`` is git-ignored; tests use a temporary folder).

``make up`` issues certificates for the committed directory before the services start, then for the live
directory the catalogue serves (agencies an administrator added) once the stack is up
(``devstack.stack``); ``.venv/bin/devstack pki`` does the latter on a running stack.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
import warnings
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_NAME = "DVC Hải Phòng — CA phát triển (development only)"
# An agency code as files are named after it (Decision 20/2020/QĐ-TTg codes: digits, letters, dots).
CODE = re.compile(r"^[0-9A-Za-z.]{1,40}$")
CA_YEARS = 10
AGENCY_YEARS = 3


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write atomically (a reader never sees half a key), with ``mode`` from the start."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _ca(root: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    crt, key = root / "ca.crt", root / "ca.key"
    if crt.exists() and key.exists():
        loaded = serialization.load_pem_private_key(key.read_bytes(), None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        return x509.load_pem_x509_certificate(crt.read_bytes()), loaded
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DVC Hải Phòng (development)"),
            x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), critical=False)
        .sign(private, hashes.SHA256())
    )
    _write(key, _key_pem(private), 0o600)
    _write(crt, cert.public_bytes(serialization.Encoding.PEM))
    return cert, private


def _common_name(name: str) -> x509.NameAttribute:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # its byte count (issue)
        return x509.NameAttribute(NameOID.COMMON_NAME, name, _validate=False)


def issue(
    root: Path, code: str, name: str, ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None
) -> Path:
    """The agency's key and certificate under ``root/agencies`` (made now, replacing any): the path of
    its certificate."""
    if not CODE.match(code):
        raise ValueError(f"not an agency code: {code!r}")
    ca_cert, ca_key = ca or _ca(root)
    if not 1 <= len(name) <= 64:
        raise ValueError(f"an agency name of 1 to 64 characters, not {len(name)}")
    private = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Hải Phòng"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            # X.520 bounds a common name at 64 characters (the directory's longest is 57); cryptography
            # counts UTF-8 bytes, which Vietnamese letters make longer: its check is skipped.
            _common_name(name),
            # The agency's code (Decision 20/2020/QĐ-TTg) in the subject's serialNumber (2.5.4.5).
            x509.NameAttribute(NameOID.SERIAL_NUMBER, code),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * AGENCY_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: a document signed as the agency's decision
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder = root / "agencies"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write(folder / f"{code}.key", _key_pem(private), 0o600)
    crt = folder / f"{code}.crt"
    _write(crt, cert.public_bytes(serialization.Encoding.PEM))
    return crt


def ensure(root: Path, agencies: Iterable[tuple[str, str]]) -> int:
    """The CA, and a certificate for each ``(code, name)`` that has none yet: how many were issued."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca = _ca(root)
    issued = 0
    for code, name in agencies:
        if not CODE.match(code):
            continue
        folder = root / "agencies"
        if (folder / f"{code}.crt").exists() and (folder / f"{code}.key").exists():
            continue
        issue(root, code, name, ca)
        issued += 1
    return issued


def committed_directory() -> list[tuple[str, str]]:
    """The catalogue's committed agency directory (its seed: the services need not be running)."""
    from catalog.adapters.data_files import seed

    return [(a.code, a.name) for a in seed()]


def live_directory(gateway_url: str, timeout: float = 10.0) -> list[tuple[str, str]]:
    """The directory the running catalogue serves (with the agencies an administrator added)."""
    url = f"{gateway_url}/api/v1/catalog/agencies"
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - the local gateway
        body = json.load(r)
    items = body.get("items", body) if isinstance(body, dict) else body
    return [(a["code"], a["name"]) for a in items if isinstance(a, dict) and "code" in a and "name" in a]
