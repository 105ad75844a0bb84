"""Paying fees online in a browser (issue 20), through the provider sandbox's own pay page.

A citizen files "Đăng ký tạm trú" (a 7.000 đ fee on filing): step 3 offers "Thanh toán trực tuyến" beside
"Nộp phí tại quầy"; step 4 shows the fee and "Thanh toán", which sends the browser to the sandbox
(devstack.paysandbox), where "Thanh toán thành công" sends it back to /thanh-toan/ket-qua: the page asks
the payment service (never the query) and shows "Đã thanh toán" and the e-receipt. Then the specialist
requests a payment of two lines (added, removed, added again; the total said); the queue shows the
dossier waiting for it; the citizen pays it the same way, and the dossier is back to processing, which
the officer sees with the order paid and its receipt. axe-core checks every screen of the portal."""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Page, expect

from devstack.client import sign_in_sync
from devstack.testing import CAPTCHA_TEST_ANSWER

PROCEDURE = "1.004194"  # Đăng ký tạm trú: 7.000 đ on filing online
KIEN_AN = "000.01.H1.H26"  # Công an phường Kiến An
S = "/api/v1/submissions"
LINES = [("Phí thẩm định hồ sơ", "50.000", 50000), ("Lệ phí cấp giấy xác nhận", "100000", 100000)]


def pay_on_the_sandbox(page: Page, shot, name: str) -> None:
    """The provider's page (another origin): its amount, then "Thanh toán thành công"."""
    expect(page).not_to_have_url(re.compile(r"/ho-so/"))
    success = page.get_by_role("button", name="Thanh toán thành công")
    expect(success).to_be_visible()
    expect(page.get_by_role("button", name="Thanh toán thất bại")).to_be_visible()
    expect(page.get_by_role("button", name="Hủy giao dịch")).to_be_visible()
    shot(page, name)
    success.click()


def paid_on_return(page: Page, axe, shot, name: str, code: str) -> None:
    """/thanh-toan/ket-qua: the order's state from the API, the receipt, the way back."""
    expect(page).to_have_url(re.compile(r"/thanh-toan/ket-qua\?.*vnp_TxnRef="))
    expect(page.locator("h1")).to_have_text("Kết quả thanh toán")
    result = page.get_by_test_id("payment-return")
    expect(result).to_have_attribute("data-state", "paid", timeout=20_000)
    expect(page.get_by_test_id("payment-result")).to_contain_text("Đã thanh toán")
    expect(result.get_by_test_id("payment-state")).to_have_text(re.compile(r"Đã thanh toán"))
    receipt = page.get_by_test_id("payment-receipt")
    expect(receipt).to_have_text(re.compile("Biên lai điện tử"))
    with page.expect_download() as dl:
        receipt.click()
    assert dl.value.path().read_bytes().startswith(b"%PDF")
    expect(page.get_by_test_id("payment-back")).to_have_text(f"Quay lại hồ sơ {code}")
    axe(page, f"kết quả thanh toán ({name})")
    shot(page, name)


def reload_until(page: Page, test_id: str, attribute: str, value: str, seconds: float = 30) -> None:
    """The dossier moves on when the submission service hears of the payment: reload until it shows."""
    deadline = time.monotonic() + seconds
    while page.get_by_test_id(test_id).get_attribute(attribute) != value:
        assert time.monotonic() < deadline, f"{test_id} never became {value}"
        time.sleep(1)
        page.reload()
        expect(page.get_by_test_id(test_id)).to_be_visible()


def test_citizen_pays_the_filing_fee_and_a_requested_payment_online(
    new_page, staff, portal, by_api, citizen_by_api, sample_files, sign_in, axe, shot
):
    who = citizen_by_api(
        "Trịnh Thị Thanh Toán", id_prefix="0321", phone_prefix="096", password="Cat-Bi-{n}-Pay"
    )
    draft = by_api.draft(
        who, PROCEDURE, KIEN_AN, date_of_birth="1991-03-08", address="Số 12 Lạch Tray, Hải Phòng"
    )
    f = sample_files["pdf"]
    by_api.attach(who, draft, lambda _i, _cid: (f.name, f.read_bytes(), "application/pdf"))
    dossier_id = draft["id"]

    # Step 3: the fee table and how to pay it.
    page = new_page()
    sign_in(page, who.citizen_id, who.password)
    page.goto(f"/ho-so/{dossier_id}?buoc=3")
    expect(page.get_by_test_id("step-3")).to_have_attribute("aria-current", "step")
    expect(page.get_by_test_id("fee-total")).to_contain_text("7.000 đ")
    method = page.get_by_test_id("pay-method")
    expect(method.locator("legend")).to_have_text("Cách nộp phí, lệ phí")
    expect(page.get_by_test_id("pay-method-online")).to_be_checked()
    expect(page.get_by_label("Thanh toán trực tuyến")).to_be_visible()
    expect(page.get_by_label("Nộp phí tại quầy")).to_be_visible()
    expect(page.get_by_test_id("captcha-image")).to_have_attribute(
        "src", re.compile(r"^data:image/png;base64,")
    )
    page.get_by_test_id("captcha-answer").fill(CAPTCHA_TEST_ANSWER)
    axe(page, "bước 3: cách nộp phí")
    shot(page, "payments-01-step3-choice")
    page.get_by_test_id("submit-dossier").click()

    # Step 4: filed; the fee, its line and "Thanh toán".
    expect(page.get_by_test_id("step-4")).to_have_attribute("aria-current", "step")
    code = page.get_by_test_id("dossier-code").inner_text().strip()
    card = page.get_by_test_id("payment-card")
    due = card.locator("[data-testid=payment-due][data-purpose=filing]")
    expect(due.get_by_test_id("payment-amount")).to_contain_text("7.000 đ")
    expect(due.get_by_test_id("payment-line")).to_have_count(1)
    expect(due.get_by_test_id("payment-state")).to_have_text(re.compile("Chưa thanh toán"))
    axe(page, "bước 4: thanh toán lệ phí")
    shot(page, "payments-02-step4-pay")
    due.get_by_test_id("pay-online").click()

    pay_on_the_sandbox(page, shot, "payments-03-sandbox-filing")
    paid_on_return(page, axe, shot, "payments-04-return-filing-paid", code)
    page.get_by_test_id("payment-back").click()
    expect(page.locator("h1")).to_have_text(f"Hồ sơ {code}")
    reload_until(page, "paid-order", "data-purpose", "filing")
    expect(page.get_by_test_id("paid-order-state")).to_have_text(re.compile("Đã thanh toán"))
    expect(page.locator("[data-testid=payment-due][data-purpose=filing]")).to_have_count(0)

    # The officer (desk, specialist and leader in one) accepts through the API, then asks in the browser.
    officer = staff.create_officer([KIEN_AN], full_name="Phạm Thu Ngân")
    with httpx.Client(base_url=portal, timeout=30) as http:
        tokens, _ = sign_in_sync(http, officer["username"], officer["password"], officer["totp_secret"])
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        d = http.get(f"{S}/officer/dossiers/{dossier_id}", headers=auth).json()
        r = http.post(
            f"{S}/dossiers/{dossier_id}/actions/accept",
            json={"assignee": officer["id"]},
            headers=auth | {"If-Match": f'"{d["rev"]}"'},
        )
        assert r.is_success, r.text
        d = http.get(f"{S}/officer/dossiers/{dossier_id}", headers=auth).json()
        if "request-payment" not in d["actions"] and "start" in d["actions"]:
            r = http.post(
                f"{S}/dossiers/{dossier_id}/actions/start",
                json={},
                headers=auth | {"If-Match": f'"{d["rev"]}"'},
            )
            assert r.is_success, r.text
    desk = new_page()
    sign_in(desk, officer["username"], officer["password"], totp=officer["totp_secret"])
    desk.goto(f"/can-bo/ho-so/{dossier_id}")
    expect(desk.locator("h1")).to_have_text(f"Hồ sơ {code}")
    expect(desk.get_by_test_id("officer-payments").get_by_test_id("fee-paid-at")).to_be_visible()
    desk.get_by_test_id("action-request-payment").click()
    form = desk.locator("[data-testid=action-form][data-action=request-payment]")
    expect(form).to_be_visible()
    # Sent empty: each line's name and amount asked for, linked to its field.
    desk.get_by_test_id("action-submit").click()
    problem = desk.get_by_test_id("problem")
    expect(problem).to_contain_text("Vui lòng nhập nội dung khoản 1")
    expect(problem).to_contain_text("Số tiền khoản 1 phải là số nguyên lớn hơn 0")
    rows = form.get_by_test_id("payment-line-row")
    rows.nth(0).get_by_test_id("payment-line-name").fill(LINES[0][0])
    rows.nth(0).get_by_test_id("payment-line-amount").fill(LINES[0][1])
    form.get_by_test_id("payment-line-add").click()
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_test_id("payment-line-name")).to_be_focused()
    rows.nth(1).get_by_test_id("payment-line-name").fill("Dòng nhập nhầm")
    rows.nth(1).get_by_test_id("payment-line-remove").click()
    expect(rows).to_have_count(1)
    form.get_by_test_id("payment-line-add").click()
    rows.nth(1).get_by_test_id("payment-line-name").fill(LINES[1][0])
    rows.nth(1).get_by_test_id("payment-line-amount").fill(LINES[1][1])
    expect(form.get_by_test_id("payment-total")).to_have_text("Tổng số tiền: 150.000 đ")
    desk.get_by_test_id("action-note").fill("Đề nghị nộp phí thẩm định và lệ phí cấp giấy.")
    axe(desk, "yêu cầu nộp phí: hai khoản")
    shot(desk, "payments-05-officer-request-lines")
    desk.get_by_test_id("action-submit").click()
    expect(desk.get_by_test_id("action-done")).to_have_text("Đã gửi yêu cầu nộp phí, lệ phí.")
    expect(desk.get_by_test_id("dossier-status")).to_have_attribute("data-status", "payment_requested")
    asked = desk.get_by_test_id("officer-payment-lines")
    expect(asked.get_by_test_id("payment-line")).to_have_count(2)
    expect(desk.get_by_test_id("officer-payments").get_by_test_id("payment-amount")).to_contain_text(
        "150.000 đ"
    )

    # The queue: the dossier waits for the citizen's payment (words and a shape).
    desk.goto("/can-bo")
    row = desk.locator(f"[data-testid=queue-row][data-code='{code}']")
    expect(row.get_by_test_id("queue-payment")).to_have_text(re.compile("Chờ công dân nộp phí"))
    axe(desk, "hàng đợi: chờ nộp phí")
    shot(desk, "payments-06-queue-waiting")

    # The citizen: the request's lines and amount on "Hồ sơ của tôi", paid through the sandbox.
    page.goto(f"/ho-so/{dossier_id}")
    reload_until(page, "dossier-status", "data-status", "payment_requested")
    due = page.locator("[data-testid=payment-due][data-purpose=requested]")
    expect(due.get_by_test_id("payment-line")).to_have_count(2)
    expect(due.get_by_test_id("payment-lines")).to_contain_text(LINES[0][0])
    expect(due.get_by_test_id("payment-lines")).to_contain_text("100.000 đ")
    expect(due.get_by_test_id("payment-amount")).to_contain_text("150.000 đ")
    axe(page, "hồ sơ của tôi: yêu cầu nộp phí")
    shot(page, "payments-07-citizen-requested")
    due.get_by_test_id("pay-online").click()
    pay_on_the_sandbox(page, shot, "payments-08-sandbox-requested")
    paid_on_return(page, axe, shot, "payments-09-return-requested-paid", code)
    page.get_by_test_id("payment-back").click()
    expect(page.locator("h1")).to_have_text(f"Hồ sơ {code}")
    reload_until(page, "dossier-status", "data-status", "processing")
    expect(page.get_by_test_id("paid-order")).to_have_count(2)
    axe(page, "hồ sơ của tôi: đã thanh toán")
    shot(page, "payments-10-citizen-processing")

    # The officer: back to processing, the order paid with its receipt.
    desk.goto(f"/can-bo/ho-so/{dossier_id}")
    expect(desk.get_by_test_id("dossier-status")).to_have_attribute("data-status", "processing")
    paid = desk.locator("[data-testid=officer-order][data-purpose=requested]")
    expect(paid).to_have_attribute("data-state", "paid")
    with desk.expect_download() as dl:
        paid.get_by_test_id("payment-receipt").click()
    assert dl.value.path().read_bytes().startswith(b"%PDF")
    axe(desk, "hồ sơ: đã thanh toán (cán bộ)")
    shot(desk, "payments-11-officer-paid")
    for p in (page, desk):
        assert p.js_errors == []
