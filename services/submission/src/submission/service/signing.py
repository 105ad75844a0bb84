"""Signed results and their verification.

At the leader's approval the core calls ``Signing.sign_results``: each proposed result PDF is read from
S3, signed as the dossier's agency (``adapters.signing.Signer``: PAdES, a visible stamp with a QR code
to ``{portal_url}/xac-thuc?ma=<code>``), stored as a new object and attachment, and recorded in
``signatures`` under a fresh verification code. The caller puts the returned attachments in the
dossier's ``results`` in its own write; if that write fails it calls ``discard`` with them, which
removes the objects and the records (nothing then points to them).

Anyone may then check a document: by its code (``lookup``: what was signed, by which agency, when) or by
uploading it (``check``: the signature validated against the trust root, and the file's digest against
the records).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dvckit import logs
from dvckit.errors import Problem, Text

from ..adapters.objects import StorageUnavailable
from ..adapters.signatures import SignatureStore
from ..adapters.signing import NoCertificate, Signer, SigningError, Verdict
from ..config import Settings
from ..domain.model import Actor, Attachment, Dossier
from .errors import storage_down
from .files import ObjectFiles

log = logs.get(__name__)

# Verification codes: 10 symbols of an alphabet without look-alikes (no 0/O, 1/I/L, U), ~49 bits.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
PDF = "application/pdf"
REASON = "Phê duyệt kết quả giải quyết thủ tục hành chính"
# The largest result read into memory to sign (the result component's own limit: attachments.py).
MAX_SIGN_BYTES = 100 * 1024 * 1024

NOT_PDF = Problem(
    422,
    "result-not-pdf",
    Text(
        "Văn bản kết quả phải là tệp PDF để được ký số",
        "A result document must be a PDF to be signed",
    ),
)
UNSIGNABLE = Problem(
    422,
    "result-unsignable",
    Text(
        "Không ký được văn bản kết quả (tệp PDF hỏng hoặc có mật khẩu)",
        "The result document cannot be signed (a damaged or password-protected PDF)",
    ),
)
STORAGE_DOWN = storage_down("thử lại sau", "try again later")


def no_certificate(agency_code: str) -> Problem:
    return Problem(
        503,
        "signing-unavailable",
        Text(
            "Cơ quan chưa có chứng thư số để ký kết quả; liên hệ quản trị hệ thống",
            "The agency has no signing certificate here; contact the administrators",
        ),
        extra={"agency_code": agency_code},
        headers={"Retry-After": "60"},
    )


def is_pdf(file: Attachment | bytes) -> bool:
    """Whether a stored file (its type read from its first bytes at upload) or some bytes are a PDF (a
    header within the first 1024 bytes, as PDF readers accept it)."""
    if isinstance(file, Attachment):
        return file.content_type == PDF
    return b"%PDF-" in file[:1024]


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(raw: str) -> str:
    """A code as typed (lower case, spaces or dashes between groups) as it is stored."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def public_record(r: dict[str, Any]) -> dict[str, Any]:
    """What anyone holding the code may read: no person's data beyond the agency's."""
    return {
        "code": r["_id"],
        "agency": {"code": r["agency_code"], "name": r["agency_name"]},
        "dossier_code": r.get("dossier_code"),
        "signed_at": r["signed_at"],
        "file_name": r.get("file_name"),
        "sha256": r["sha256"],
        "size": r.get("size"),
    }


@dataclass(frozen=True)
class Signed:
    """A signed result: the attachment the dossier gets, and its verification code."""

    attachment: Attachment
    code: str


class Signing:
    def __init__(self, settings: Settings, store: SignatureStore, files: ObjectFiles, signer: Signer) -> None:
        self.s = settings
        self.store = store
        self.files = files
        self.signer = signer
        self.portal = settings.portal_url.rstrip("/")

    # -- signing at approval -----------------------------------------------------------------------
    async def sign_results(self, d: Dossier, actor: Actor, files: Sequence[Attachment]) -> list[Attachment]:
        """Each of ``files`` (the proposed results, PDFs) signed as ``d``'s agency, stored and recorded:
        the signed attachments, in the same order. On any failure, what was stored is removed again."""
        done: list[Attachment] = []
        try:
            for att in files:
                done.append(await self._sign_one(d, actor, att))
        except BaseException:
            await self.discard(done)
            raise
        return done

    async def _sign_one(self, d: Dossier, actor: Actor, att: Attachment) -> Attachment:
        if not is_pdf(att) or att.size > MAX_SIGN_BYTES:
            raise NOT_PDF
        data = await self._read(att)
        if not is_pdf(data):
            raise NOT_PDF
        code = new_code()
        try:
            signed = await self.signer.sign(
                data,
                agency_code=d.agency.code,
                agency_name=d.agency.name,
                signer_name=actor.name,
                reason=REASON,
                verify_url=f"{self.portal}/xac-thuc?ma={code}",
            )
        except NoCertificate as e:
            log.warning("no signing certificate", agency_code=e.agency_code, dossier_id=d.id)
            raise no_certificate(e.agency_code) from None
        except SigningError as e:
            log.info("a result could not be signed", dossier_id=d.id, file_id=att.id, error=str(e)[:200])
            raise UNSIGNABLE from None
        now = datetime.now(UTC)
        new = Attachment(
            id=uuid.uuid4().hex,
            component_id=att.component_id,
            name=att.name,
            size=len(signed),
            sha256=hashlib.sha256(signed).hexdigest(),
            content_type=PDF,
            key=f"dossiers/{d.id}/{uuid.uuid4().hex}",
            uploaded_at=now,
        )
        await self._store(new, signed)
        record = {
            "dossier_id": d.id,
            "dossier_code": d.code,
            "file_id": new.id,
            "source_id": att.id,
            "file_name": new.name,
            "sha256": new.sha256,
            "size": new.size,
            "agency_code": d.agency.code,
            "agency_name": d.agency.name,
            "signer_id": actor.id,
            "signer_name": actor.name,
            "signed_at": now,
        }
        # The code is in the signed bytes already: a collision (about one in 10^14 a pair) is refused by
        # the unique _id, and the whole signing done again with a new code.
        if not await self.store.add({"_id": code, **record}):
            await self.files.delete(new.key, "a signed result")
            return await self._sign_one(d, actor, att)
        log.info("result signed", dossier_id=d.id, file_id=new.id, source_id=att.id, size=new.size)
        return new

    async def _read(self, att: Attachment) -> bytes:
        try:
            chunks = await self.files.objects.read(att.key)
            buf = bytearray()
            async for chunk in chunks:
                buf += chunk
                if len(buf) > MAX_SIGN_BYTES:
                    raise NOT_PDF
            return bytes(buf)
        except StorageUnavailable as e:
            log.warning("object storage failed reading a result to sign", error=str(e)[:200])
            raise STORAGE_DOWN from None

    async def _store(self, att: Attachment, data: bytes) -> None:
        writer = self.files.objects.writer(att.key, PDF)
        try:
            await writer.write(data)
            await writer.complete()
        except StorageUnavailable as e:
            log.warning("object storage failed storing a signed result", error=str(e)[:200])
            try:
                await writer.abort()
            except StorageUnavailable:
                pass
            raise STORAGE_DOWN from None

    async def discard(self, signed: Sequence[Attachment]) -> None:
        """Undo ``sign_results`` (the caller's write failed): the objects and their records. Failures are
        logged; an object left behind is unreferenced, a record left behind names a file no dossier has."""
        if not signed:
            return
        ids = [a.id for a in signed]
        try:
            codes = [r["_id"] async for r in self.store.coll.find({"file_id": {"$in": ids}}, {"_id": 1})]
            await self.store.remove(codes)
        except Exception as e:  # the database is down: the records stay, pointing to nothing
            log.warning("could not remove signature records", error=repr(e)[:200])
        for a in signed:
            await self.files.delete(a.key, "a signed result")

    # -- verification (public) ---------------------------------------------------------------------
    async def lookup(self, code: str) -> dict[str, Any] | None:
        record = await self.store.by_code(normal_code(code))
        return public_record(record) if record else None

    async def check(self, pdf: bytes) -> dict[str, Any]:
        """The verdict on an uploaded document: authentic (a sound signature by an agency certificate of
        the trust root) and unchanged (that signature covers the whole file, and the file is one this
        service signed, byte for byte)."""
        sha256 = hashlib.sha256(pdf).hexdigest()
        v: Verdict = await self.signer.verify(pdf)
        record = await self.store.by_sha256(sha256) if v.signed else None
        named = record
        if named is None and v.code and v.issued_here:  # ours, changed since: what it was when signed
            named = await self.store.by_code(normal_code(v.code))
        unchanged = bool(
            v.authentic and v.whole_file and record is not None and record["agency_code"] == v.agency_code
        )
        if not v.readable:
            outcome = "unreadable"
        elif not v.signed:
            outcome = "unsigned"
        elif unchanged:
            outcome = "authentic"
        elif v.issued_here:
            outcome = "changed"  # signed here, then altered (or added to) since
        else:
            outcome = "unknown"  # signed, but not by an agency certificate of this system
        return {
            "verdict": outcome,
            "authentic": v.authentic,
            "unchanged": unchanged,
            "sha256": sha256,
            "code": v.code,
            "signature": {
                "intact": v.intact,
                "valid": v.valid,
                "trusted": v.trusted,
                "covers_whole_file": v.whole_file,
                "agency": {"code": v.agency_code, "name": v.agency_name} if v.agency_code else None,
                "signed_at": v.signed_at,
            }
            if v.signed
            else None,
            "record": public_record(named) if named else None,
        }
