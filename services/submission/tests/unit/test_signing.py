"""The signer: a result signed as its agency verifies as authentic and whole; a byte changed, an addition
after the signature, or a certificate of another CA each show in the verdict."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from devstack import pki
from submission.adapters.signing import NoCertificate, PyHankoSigner, SigningError, code_of

AGENCY = ("000.01.G5.H26", "Công an phường Lê Chân")
URL = "https://dichvucong.haiphong.gov.vn/xac-thuc?ma=K7M2QX9RTA"


def result_pdf(text: str = "QUYẾT ĐỊNH cấp giấy phép số 12/QĐ") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=0)  # the text readable in the bytes
    c.drawString(72, 760, text.encode("ascii", "replace").decode())
    c.showPage()
    c.drawString(72, 760, "Trang 2")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pki")
    assert pki.ensure(root, [AGENCY, ("000.00.12.H26", "Sở Tư pháp thành phố Hải Phòng")]) == 2
    assert pki.ensure(root, [AGENCY]) == 0  # nothing issued twice
    return root


@pytest.fixture(scope="module")
def signer(folder: Path) -> PyHankoSigner:
    s = PyHankoSigner(folder, processes=False)
    yield s
    s.close()


async def sign(s: PyHankoSigner, pdf: bytes | None = None, agency: tuple[str, str] = AGENCY) -> bytes:
    return await s.sign(
        pdf or result_pdf(),
        agency_code=agency[0],
        agency_name=agency[1],
        signer_name="Nguyễn Văn Lãnh",
        reason="Phê duyệt kết quả giải quyết hồ sơ",
        verify_url=URL,
    )


async def test_signed_then_verified(signer: PyHankoSigner) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    signed = await sign(signer)
    v = await signer.verify(signed)
    assert v.authentic and v.whole_file and v.intact and v.valid and v.trusted
    assert (v.agency_code, v.agency_name) == AGENCY
    assert v.code == "K7M2QX9RTA"
    assert v.signed_at is not None and v.signed_at >= before
    # The stamp is on the last page, in Vietnamese, with the QR link.
    reader = PdfReader(io.BytesIO(signed))
    assert len(reader.pages) == 2
    field = reader.get_fields()["DVCHaiPhong1"]
    assert field["/FT"] == "/Sig"


async def test_a_second_signature_is_a_second_field(signer: PyHankoSigner) -> None:
    twice = await sign(signer, await sign(signer))
    v = await signer.verify(twice)
    assert v.authentic and v.whole_file
    assert {"DVCHaiPhong1", "DVCHaiPhong2"} <= set(PdfReader(io.BytesIO(twice)).get_fields())


async def test_a_changed_byte_is_not_intact(signer: PyHankoSigner) -> None:
    signed = bytearray(await sign(signer))
    at = signed.index(b"Trang 2")
    signed[at] = ord("X")
    v = await signer.verify(bytes(signed))
    assert v.signed and not v.intact and not v.authentic
    assert v.issued_here  # still an agency certificate of ours: signed here, then changed


async def test_an_addition_after_the_signature_is_not_the_whole_file(signer: PyHankoSigner) -> None:
    signed = await sign(signer)
    v = await signer.verify(signed + b"\n% appended\n")
    assert not v.whole_file


async def test_a_certificate_of_another_ca_is_not_trusted(signer: PyHankoSigner, tmp_path: Path) -> None:
    pki.ensure(tmp_path, [AGENCY])  # the same agency's name and code, under a CA of its own
    other = PyHankoSigner(tmp_path, processes=False)
    try:
        forged = await sign(other)
        assert (await other.verify(forged)).authentic  # by its own root
    finally:
        other.close()
    v = await signer.verify(forged)
    assert v.signed and v.intact and not v.trusted and not v.issued_here and not v.authentic


async def test_unsigned_and_unreadable(signer: PyHankoSigner) -> None:
    plain = await signer.verify(result_pdf())
    assert not plain.signed and plain.readable
    junk = await signer.verify(b"%PDF-1.7\nnot really a pdf")
    assert not junk.signed and not junk.readable


async def test_no_certificate_and_bad_documents(signer: PyHankoSigner) -> None:
    with pytest.raises(NoCertificate):
        await sign(signer, agency=("000.00.99.H26", "Không có chứng thư"))
    with pytest.raises(NoCertificate):
        await sign(signer, agency=("../ca", "Đường dẫn"))
    with pytest.raises(SigningError):
        await sign(signer, b"%PDF-1.4\ngarbage")


async def test_in_a_worker_process(folder: Path) -> None:
    s = PyHankoSigner(folder, processes=True)
    try:
        await s.warm()
        v = await s.verify(await sign(s))
        assert v.authentic and v.whole_file
        with pytest.raises(NoCertificate) as e:
            await sign(s, agency=("000.00.98.H26", "Không có"))
        assert e.value.agency_code == "000.00.98.H26"
    finally:
        s.close()


def test_code_of() -> None:
    assert code_of(URL) == "K7M2QX9RTA"
    assert code_of("https://x/xac-thuc") is None
    assert code_of(None) is None


def test_the_stamp_font_has_every_letter_the_stamp_writes() -> None:
    from fontTools.ttLib import TTFont

    from submission.adapters.signing import _stamp_font

    names = " ".join(name for _, name in pki.committed_directory())
    text = f"Ký bởi: Thời gian ký: ngày (GMT+7) Mã xác thực: 0123456789 {names}"
    cmap = TTFont(_stamp_font()).getBestCmap()
    assert not {ch for ch in text if ord(ch) not in cmap}
