"""A full filing through the gateway with a typed client generated from the merged OpenAPI document in
this very run (issue 23, "the contract for apps"): openapi-python-client turns
``gateway/apidocs/openapi.json`` into a package in a temporary folder, the test imports it from there and
files a dossier with it — register, sign in, draft, step 1, files, captcha, submit — then reads the dossier
with its ETag (304 the second time) and walks the list of dossiers by cursor. Nothing generated is
committed: were the document and the servers to drift apart, the generated models would fail to parse an
answer, or a call would be refused, here."""

from __future__ import annotations

import hashlib
import importlib
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack import client
from devstack.config import ROOT
from devstack.testing import CAPTCHA_TEST_ANSWER

DOCUMENT = ROOT / "gateway" / "apidocs" / "openapi.json"
PACKAGE = "dvc_client"
# Files the API sends or takes as they are (PDFs, spreadsheets, archives): bytes to the client.
BINARY = [
    "application/pdf",
    "application/zip",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "image/jpeg",
    "image/png",
    "application/jsonl",
    "text/csv",
    "application/offset+octet-stream",  # a tus PATCH body (resumable uploads)
]
CONFIG = {
    "project_name_override": PACKAGE,
    "package_name_override": PACKAGE,
    "post_hooks": [],
    "content_type_overrides": {t: "application/octet-stream" for t in BINARY},
}


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The generated client package, imported from the run's temporary folder."""
    out = tmp_path_factory.mktemp("typed-client")
    config = out / "config.json"  # JSON is YAML: the generator reads either
    config.write_text(json.dumps(CONFIG))
    generator = Path(sys.executable).parent / "openapi-python-client"
    done = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(DOCUMENT),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(out / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    # The document generates cleanly: no operation or schema the generator had to leave out.
    assert "Warning" not in said and "Unable to" not in said, said
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _mod(api: Any, path: str) -> Any:
    return importlib.import_module(f"{api.__name__}.{path}")


def big_pdf(size: int, salt: bytes) -> bytes:
    head = b"%PDF-1.5\n"
    return head + (hashlib.sha256(salt).digest() * (size // 32 + 1))[: size - len(head)]


async def test_a_full_filing_with_the_generated_client(stack, api):
    m = _mod(api, "models")
    types = _mod(api, "types")
    register = _mod(api, "api.auth_accounts.auth_register")
    confirm = _mod(api, "api.auth_accounts.auth_register_confirm")
    login = _mod(api, "api.auth_sessions.auth_login")
    me = _mod(api, "api.auth_accounts.auth_me")
    search = _mod(api, "api.catalog_catalogue.catalog_search")
    agencies = _mod(api, "api.submission_filing.submissions_agencies")
    create_draft = _mod(api, "api.submission_filing.submissions_create_draft")
    set_applicant = _mod(api, "api.submission_filing.submissions_set_applicant")
    upload = _mod(api, "api.submission_filing.submissions_upload")
    captcha = _mod(api, "api.submission_filing.submissions_captcha")
    submit = _mod(api, "api.submission_filing.submissions_submit")
    get_dossier = _mod(api, "api.submission_following.submissions_get_dossier")
    mine = _mod(api, "api.submission_following.submissions_mine")

    p = client.new_person("Lê Thị Kiểu", email=False)
    anonymous = api.Client(base_url=stack.url, timeout=httpx.Timeout(60))

    # Register and sign in, as an app does.
    async with stack.inbox() as inbox:
        since = datetime.now(UTC)
        r = await register.asyncio_detailed(client=anonymous, body=m.RegisterIn.from_dict(client.sign_up(p)))
        assert r.status_code == 202, r.content
        code = await inbox.code(p.phone, since)
    body = m.RegisterConfirmIn(citizen_id=p.citizen_id, phone=p.phone, code=code)
    r = await confirm.asyncio_detailed(client=anonymous, body=body)
    assert r.status_code == 201, r.content
    r = await login.asyncio_detailed(
        client=anonymous, body=m.LoginIn(username=p.citizen_id, password=client.PASSWORD)
    )
    assert isinstance(r.parsed, m.TokensOut), r.content
    http = api.AuthenticatedClient(base_url=stack.url, token=r.parsed.access_token, timeout=httpx.Timeout(60))
    who = await me.asyncio(client=http)
    assert isinstance(who, m.MeOut) and who.citizen_id == p.citizen_id

    # A wrong sign-in is a problem with a stable code, parsed as the document's Problem.
    wrong = await login.asyncio_detailed(
        client=anonymous, body=m.LoginIn(username=p.citizen_id, password="sai-mat-khau-9")
    )
    assert wrong.status_code == 401 and isinstance(wrong.parsed, m.Problem) and wrong.parsed.code

    # Find the procedure and a ward, open a draft.
    found = await search.asyncio(client=anonymous, q="dang ky tam tru", limit=5)
    assert isinstance(found, m.ProcedurePage) and found.items[0].code == "1.004194"
    assert isinstance(found.next_cursor, str)  # the catalogue has more than five such procedures
    wards = await agencies.asyncio(client=http, procedure="1.004194")
    ward = next(w for w in wards if "Lê Chân" in w.name)
    d = await create_draft.asyncio(
        client=http, body=m.DraftIn(procedure_code="1.004194", agency_code=ward.code)
    )
    assert isinstance(d, m.DossierOut), d
    applicant = m.Applicant.from_dict({"submitter": client.submitter(p, date_of_birth="1990-04-30")})
    d = await set_applicant.asyncio(d.id, client=http, body=applicant)
    assert isinstance(d, m.DossierOut), d

    # Step 2: a file for every component the draft still misses.
    needed = [x.item.split(":")[1] for x in d.missing if x.item.startswith("component:")]
    assert needed
    for i, cid in enumerate(needed):
        data = big_pdf(300 * 1024, bytes([i]))
        # The component in the query: the generator writes the file part first, and the route streams
        # the file as it comes, so it must know the component before (the document says so).
        form = m.SubmissionsUploadFilesUploadForm(
            file=types.File(payload=data, file_name=f"giấy tờ {i}.pdf", mime_type="application/pdf")
        )
        up = await upload.asyncio_detailed(d.id, client=http, body=form, component_id=cid)
        assert up.status_code == 201 and isinstance(up.parsed, m.UploadOut), up.content
        assert up.parsed.sha256 == hashlib.sha256(data).hexdigest()

    # Step 3 and 4: the captcha, then submission; a wrong answer first is a problem with its code.
    c = await captcha.asyncio(client=http)
    refused = await submit.asyncio_detailed(
        d.id, client=http, body=m.SubmitIn(captcha_id=c.captcha_id, captcha_answer="khong-dung")
    )
    assert refused.status_code >= 400 and isinstance(refused.parsed, m.Problem) and refused.parsed.code
    c = await captcha.asyncio(client=http)
    done = await submit.asyncio_detailed(
        d.id, client=http, body=m.SubmitIn(captcha_id=c.captcha_id, captcha_answer=CAPTCHA_TEST_ANSWER)
    )
    assert done.status_code == 200 and isinstance(done.parsed, m.ReceiptOut), done.content
    assert done.parsed.code and done.parsed.code.startswith(ward.code + "-")

    # Polling the dossier: the second read with its ETag is a 304 without a body.
    first = await get_dossier.asyncio_detailed(d.id, client=http)
    assert first.status_code == 200 and isinstance(first.parsed, m.DossierOut)
    assert first.parsed.code == done.parsed.code and len(first.parsed.attachments) == len(needed)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = await get_dossier.asyncio_detailed(d.id, client=http, if_none_match=tag)
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag

    # The list, walked by cursor: two more drafts, one a page, each seen once.
    for _ in range(2):
        extra = await create_draft.asyncio(
            client=http, body=m.DraftIn(procedure_code="1.004194", agency_code=ward.code)
        )
        assert isinstance(extra, m.DossierOut)
    seen: list[str] = []
    page = await mine.asyncio_detailed(client=http, limit=1)
    while True:
        assert page.status_code == 200 and isinstance(page.parsed, m.DossierPage), page.content
        seen += [i.id for i in page.parsed.items]
        cursor = page.parsed.next_cursor
        if not isinstance(cursor, str):
            assert "link" not in page.headers
            break
        assert page.headers["link"].endswith('rel="next"')
        page = await mine.asyncio_detailed(client=http, cursor=cursor, limit=1)
    assert len(seen) == 3 == len(set(seen)) and d.id in seen

    # A cursor that is not one is a problem: bad-cursor.
    bad = await mine.asyncio_detailed(client=http, cursor="bm90LWEtY3Vyc29y.AAAA")
    assert bad.status_code == 400 and isinstance(bad.parsed, m.Problem) and bad.parsed.code == "bad-cursor"
    # And the list's own ETag: unchanged, a 304.
    listed = await mine.asyncio_detailed(client=http)
    unchanged = await mine.asyncio_detailed(client=http, if_none_match=listed.headers["etag"])
    assert unchanged.status_code == 304
