"""Signing result documents (PAdES) and verifying them: the ``Signer`` interface and its pyHanko
implementation.

``Signer`` is what the use cases see: ``sign`` a PDF as an agency (a PAdES baseline B signature with a
visible stamp: "Ký bởi: <agency>", the time, and a QR code to the public verification page), ``verify``
one (intact, valid, trusted, who, when, which verification code). Behind it:

- ``PyHankoSigner`` (here): each agency's key and certificate read from a folder
  (``SUBMISSION_SIGNING_DIR``: ``ca.crt`` the trust root, ``agencies/<code>.key|.crt``; in production a
  Kubernetes secret mounted as files, docs/submission.md "Signed results");
- an HSM through PKCS#11 (pyHanko's ``pkcs11.PKCS11Signer`` in place of ``SimpleSigner``), or the
  national remote-signing service (an HTTP client computing the CMS remotely): another class with the
  same two methods.

Signing and verifying are pure-Python CPU work (pyHanko parses and writes the PDF, fontTools subsets the
stamp's font): tens to hundreds of milliseconds a document. On the event loop, or in a thread (it would
hold the GIL), that stalls every other request of the replica; so the work runs in a small pool of
worker processes (``spawn``, as the receipts: bench/signing.py measures both), at most ``max_pending``
documents at a time (then 503 with Retry-After).
"""

from __future__ import annotations

import asyncio
import atexit
import io
import logging
import multiprocessing
import os
import re
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from prometheus_client import Gauge

from dvckit import logs
from dvckit.errors import Problem, Text

log = logs.get(__name__)
T = TypeVar("T")

FONT = Path(__file__).resolve().parent.parent / "data" / "fonts" / "DejaVuSans.ttf"
ZONE = "Asia/Ho_Chi_Minh"
FIELD_PREFIX = "DVCHaiPhong"
# An agency code as the folder names its files (Decision 20/2020/QĐ-TTg codes).
AGENCY_CODE = re.compile(r"^[0-9A-Za-z.]{1,40}$")
# Where the stamp goes on the last page: bottom right, points from the page's lower left corner.
STAMP_WIDTH, STAMP_HEIGHT, STAMP_MARGIN = 250.0, 78.0, 24.0

BUSY = Problem(
    503,
    "signing-busy",
    Text(
        "Hệ thống đang ký hoặc kiểm tra nhiều văn bản, vui lòng thử lại sau giây lát",
        "Too many documents are being signed or checked; please try again shortly",
    ),
    headers={"Retry-After": "2"},
)


class SigningError(Exception):
    """A document could not be signed (unreadable or encrypted PDF)."""


class NoCertificate(SigningError):
    """The agency has no key and certificate here."""

    def __init__(self, agency_code: str) -> None:
        super().__init__(agency_code)  # the only argument: the exception crosses from a worker process
        self.agency_code = agency_code

    def __str__(self) -> str:
        return f"no signing certificate for agency {self.agency_code}"


@dataclass(frozen=True)
class Verdict:
    """What a PDF's (last) signature says. ``intact``: the signed bytes are unchanged; ``valid``: the
    signature is cryptographically sound and intact; ``trusted``: the signer's certificate chains to a
    trust root; ``whole_file``: the signature covers the entire file (nothing added after it)."""

    signed: bool
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    issued_here: bool = False  # the signer's certificate chains to a trust root (whatever the signature)
    whole_file: bool = False
    agency_code: str | None = None  # the certificate subject's serialNumber
    agency_name: str | None = None  # its organisation (O), else its common name
    subject: str | None = None  # the whole subject, as text
    signed_at: datetime | None = None  # as the signer reports it (PAdES: the signature dictionary's /M)
    code: str | None = None  # the verification code of the stamp's link (the signature's /ContactInfo)
    readable: bool = True  # False: not a PDF pyHanko can read

    @property
    def authentic(self) -> bool:
        """A sound signature by an agency certificate of the trust root."""
        return self.signed and self.intact and self.valid and self.trusted and bool(self.agency_code)


class Signer(Protocol):
    async def sign(
        self,
        pdf: bytes,
        *,
        agency_code: str,
        agency_name: str,
        signer_name: str,
        reason: str,
        verify_url: str,
    ) -> bytes: ...

    async def verify(self, pdf: bytes) -> Verdict: ...


def code_of(url: str | None) -> str | None:
    """The verification code in a verification link (``…/xac-thuc?ma=<code>``)."""
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("ma")
    return values[0] if values else None


# -- the work itself (in a worker process) ------------------------------------------------------------
def _quiet() -> None:
    # fontTools says what it drops from the subset font (an "FFTM" table) at every stamp.
    logging.getLogger("fontTools").setLevel(logging.ERROR)


@cache
def _signer(key: Path, crt: Path, chain: tuple[Path, ...], stamp: tuple[float, float]) -> Any:
    """The agency's signer, loaded once a worker per key file version (``stamp``: the files' mtimes)."""
    from pyhanko.sign import signers

    loaded = signers.SimpleSigner.load(str(key), str(crt), ca_chain_files=tuple(str(c) for c in chain))
    if loaded is None:
        raise NoCertificate(key.stem)
    return loaded


@cache
def _roots(paths: tuple[Path, ...], stamp: tuple[float, ...]) -> list[Any]:
    from pyhanko.keys import load_certs_from_pemder

    return [c for p in paths for c in load_certs_from_pemder([str(p)])]


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


# The stamp's letters: Latin with every Vietnamese letter (precomposed, as NFC text is), digits, punctuation.
STAMP_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),  # Latin-1, Latin Extended-A and -B (ă, đ, ơ, ư)
    *range(0x300, 0x310),  # combining accents (text not in NFC)
    *range(0x1EA0, 0x1EFA),  # Latin Extended Additional: the Vietnamese letters with two marks
    *range(0x2010, 0x2030),  # dashes, quotes, bullet
]


@cache
def _stamp_font() -> str:
    """DejaVu Sans cut to the stamp's letters, without layout tables, in a file of this process's own.

    pyHanko subsets the font it embeds at every signature; subsetting the whole DejaVu Sans (700 KB, with
    its GSUB and GPOS tables) was 0.4 s of each signature, 70 % of it (bench/signing.py). Cut once per
    worker, what is left to subset each time is small."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "FFTM"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(str(FONT))
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=STAMP_UNICODES)
    cutter.subset(font)
    fd, path = tempfile.mkstemp(prefix="dvc-stamp-", suffix=".ttf")
    with os.fdopen(fd, "wb") as f:
        font.save(f)
    atexit.register(lambda: os.path.exists(path) and os.remove(path))
    return path


def sign_pdf(
    folder: str,
    pdf: bytes,
    agency_code: str,
    agency_name: str,
    signer_name: str,
    reason: str,
    verify_url: str,
    zone: str = ZONE,
) -> bytes:
    """``pdf`` signed as the agency (PAdES baseline B, a visible QR stamp on the last page)."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
    from pyhanko.stamp import QRStampStyle

    _quiet()
    if not AGENCY_CODE.match(agency_code):
        raise NoCertificate(agency_code)
    root = Path(folder)
    key, crt = root / "agencies" / f"{agency_code}.key", root / "agencies" / f"{agency_code}.crt"
    if not key.is_file() or not crt.is_file():
        raise NoCertificate(agency_code)
    chain = tuple(p for p in (root / "agencies" / f"{agency_code}.chain.crt", root / "ca.crt") if p.is_file())
    signer = _signer(key, crt, chain, (_mtime(key), _mtime(crt)))
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        if writer.prev.encrypted:
            raise SigningError("encrypted PDF")
        existing = len(writer.prev.embedded_signatures)
        page = writer.prev.find_page_for_modification(-1)[0]
        box = [float(x) for x in page.get_object()["/MediaBox"]]
    except (PdfError, KeyError, IndexError, ValueError, TypeError) as e:
        raise SigningError(f"unreadable PDF: {e!r}"[:200]) from None
    x2 = box[2] - STAMP_MARGIN
    y1 = box[1] + STAMP_MARGIN
    rect = (max(box[0], x2 - STAMP_WIDTH), y1, x2, y1 + STAMP_HEIGHT)
    name = f"{FIELD_PREFIX}{existing + 1}"
    meta = signers.PdfSignatureMetadata(
        field_name=name,
        subfilter=SigSeedSubFilter.PADES,  # PAdES baseline B: no timestamp, no validation data
        md_algorithm="sha256",
        reason=reason,
        location="Hải Phòng",
        name=signer_name or None,
        contact_info=verify_url,  # signed with the rest of the dictionary: where to verify, and the code
    )
    now = datetime.now(UTC).astimezone(ZoneInfo(zone))
    code = code_of(verify_url) or ""
    style = QRStampStyle(
        stamp_text="Ký bởi: %(agency)s\nThời gian ký: %(when)s\nMã xác thực: %(code)s",
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(_stamp_font()), font_size=7.5, leading=10),
        border_width=1,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer,
        stamp_style=style,
        new_field_spec=SigFieldSpec(name, on_page=-1, box=rect),
    )
    try:
        out = pdf_signer.sign_pdf(
            writer,
            appearance_text_params={
                "url": verify_url,
                "agency": _wrap(agency_name, 42),
                "when": f"{now:%H:%M:%S} ngày {now:%d/%m/%Y} (GMT+7)",
                "code": code,
            },
        )
    except PdfError as e:
        raise SigningError(f"could not sign: {e!r}"[:200]) from None
    return bytes(out.getbuffer())


def _wrap(text: str, width: int) -> str:
    """Break a long agency name over lines of about ``width`` characters (the stamp does not wrap)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines[:3])


def _subject_field(subject: Any, name: str) -> str | None:
    value = subject.native.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else None


def verify_pdf(roots: tuple[str, ...], pdf: bytes) -> Verdict:
    """The verdict on ``pdf``'s last signature against the certificates in ``roots`` (files)."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    _quiet()
    paths = tuple(Path(r) for r in roots)
    trust = _roots(paths, tuple(_mtime(p) for p in paths))
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            return Verdict(signed=False, readable=False)
        sigs = reader.embedded_signatures
    except (PdfError, KeyError, IndexError, ValueError, TypeError, AttributeError):
        return Verdict(signed=False, readable=False)
    if not sigs:
        return Verdict(signed=False)
    sig = sigs[-1]
    found = code_of(str(sig.sig_object.get("/ContactInfo") or "")) if sig.sig_object else None
    context = ValidationContext(trust_roots=trust, allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(sig, context)
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as e:
        log.info("a signature could not be validated", error=repr(e)[:200])
        return Verdict(signed=True, code=found)
    cert = status.signing_cert
    subject = cert.subject if cert is not None else None
    # A signature that does not verify is not judged further by pyHanko: whether its certificate is one
    # of ours (a document signed here, then changed) is asked of the certificate alone.
    issued = bool(status.trusted) or (cert is not None and _chains(cert, sig.other_embedded_certs, context))
    return Verdict(
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        issued_here=issued,
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        agency_code=_subject_field(subject, "serial_number") if subject else None,
        agency_name=(_subject_field(subject, "organization_name") or _subject_field(subject, "common_name"))
        if subject
        else None,
        subject=subject.human_friendly if subject else None,
        signed_at=status.signer_reported_dt,
        code=found,
    )


def _chains(cert: Any, others: list[Any], context: Any) -> bool:
    """Whether ``cert`` chains to the trust roots (its own validity, not a signature's)."""
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    validator = CertificateValidator(cert, intermediate_certs=others, validation_context=context)
    try:
        asyncio.run(validator.async_validate_path())
    except (PathBuildingError, PathValidationError, ValueError):
        return False
    return True


def _warm() -> int:
    """Import pyHanko in a new worker, so the first document does not pay for it."""

    return 0


# -- certificate expiry on /metrics -----------------------------------------------------------------

certificate_expiry = Gauge(
    "certificate_expiry_seconds",
    "When a certificate the service holds stops being valid (its notAfter), Unix time in seconds",
    ["name"],
)


def certificate_expiries(folder: Path | None, trust_roots: tuple[Path, ...] = ()) -> dict[str, datetime]:
    """Each certificate the signer holds and its notAfter: ``agency:<code>`` for each agency's
    ``agencies/<code>.crt`` (and ``agency-chain:<code>`` for its chain file), ``trust-root:<file>`` for
    each trust root. A file that does not parse is logged and left out."""
    from cryptography import x509

    files: list[tuple[str, Path]] = []
    if folder is not None and (folder / "agencies").is_dir():
        for crt in sorted((folder / "agencies").glob("*.crt")):
            code = crt.name.removesuffix(".crt")
            if code == "ca":
                continue  # the trust root, when the secret holds it beside the agencies' files
            if code.endswith(".chain"):
                files.append((f"agency-chain:{code.removesuffix('.chain')}", crt))
            else:
                files.append((f"agency:{code}", crt))
    roots = trust_roots or ((folder / "ca.crt",) if folder is not None else ())
    files += [(f"trust-root:{p.name}", p) for p in roots if p.is_file()]
    out: dict[str, datetime] = {}
    for name, path in files:
        try:
            data = path.read_bytes()
            certs = (
                x509.load_pem_x509_certificates(data)
                if b"-----BEGIN" in data
                else [x509.load_der_x509_certificate(data)]
            )
            out[name] = min(c.not_valid_after_utc for c in certs)
        except (OSError, ValueError) as e:
            log.warning("certificate not readable", file=str(path), error=str(e)[:200])
    return out


async def watch_certificates(folder: Path | None, trust_roots: tuple[Path, ...], seconds: float) -> None:
    """Read the certificates now and every ``seconds`` (a renewed secret is seen), for ``rt.loop``."""
    while True:
        found = await asyncio.to_thread(certificate_expiries, folder, trust_roots)
        certificate_expiry.clear()  # a certificate removed from the folder is no longer reported
        for name, until in found.items():
            certificate_expiry.labels(name).set(until.timestamp())
        await asyncio.sleep(seconds)


# -- the implementation the service uses ------------------------------------------------------------
class PyHankoSigner:
    """``Signer`` on keys and certificates in ``folder``; work in ``workers`` processes (or threads, with
    ``processes=False``: measured in bench/signing.py), at most ``max_pending`` documents at a time.

    ``trust_roots``: the certificate files a signature must chain to (default ``<folder>/ca.crt``; in
    production the national root CA's, which the agencies' certificates chain to)."""

    def __init__(
        self,
        folder: Path | None,
        *,
        trust_roots: tuple[Path, ...] = (),
        workers: int = 1,
        max_pending: int = 8,
        processes: bool = True,
    ) -> None:
        self.folder = folder
        self.trust_roots = trust_roots or ((folder / "ca.crt",) if folder else ())
        self.workers = workers
        self.max_pending = max_pending
        self.processes = processes
        self._pool: Executor | None = None
        self._pending = 0

    def _executor(self) -> Executor:
        if self._pool is None:
            if self.processes:
                # spawn: a forked child of a process with running threads (MongoDB and S3 clients) may
                # inherit a lock held at the fork and hang.
                spawn = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(self.workers, mp_context=spawn)
            else:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="signing")
        return self._pool

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._pending >= self.max_pending:
            raise BUSY
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor(), fn, *args)
        except BrokenProcessPool:
            log.warning("a signing worker died; starting a new one")
            self._pool = None
            raise BUSY from None
        finally:
            self._pending -= 1

    async def sign(
        self,
        pdf: bytes,
        *,
        agency_code: str,
        agency_name: str,
        signer_name: str,
        reason: str,
        verify_url: str,
    ) -> bytes:
        if self.folder is None:
            raise NoCertificate(agency_code)
        return await self._run(
            sign_pdf, str(self.folder), pdf, agency_code, agency_name, signer_name, reason, verify_url
        )

    async def verify(self, pdf: bytes) -> Verdict:
        roots = tuple(str(p) for p in self.trust_roots if p.is_file())
        return await self._run(verify_pdf, roots, pdf)

    async def warm(self) -> None:
        """Start the workers and import pyHanko in them (start-up: the first document pays nothing)."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._executor(), _warm) for _ in range(self.workers)))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
