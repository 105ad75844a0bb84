"""The web portal in a real Chromium, in Vietnamese: a citizen registers, logs in, finds "Đăng ký tạm
trú", files it online in four steps with real files, sees the notification arrive live; an officer
accepts it and the citizen's page shows "Đã tiếp nhận" with the appointment. The citizen part again on
a phone screen; the administrator's screens. axe-core checks the main pages on the way."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from devstack.client import admin_totp_secret, result_pdf
from devstack.testing import CAPTCHA_TEST_ANSWER

PROCEDURE = "1.004194"
WARD = "Công an phường Lê Chân"
WARD_CODE = "000.01.G7.H26"


# The citizen of these journeys (a new one each time: conftest's new_citizen).
LAN_HUONG = {
    "full_name": "Nguyễn Thị Lan Hương",
    "id_prefix": "0313",
    "phone_prefix": "098",
    "password": "Bach-Dang-{n}-Giang",
}


def register_and_login(page: Page, who, shot, axe, prefix: str, codes) -> None:
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Dịch vụ công trực tuyến thành phố Hải Phòng")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.keyboard.press("Tab")  # the first stop is the skip link; it leads into the main landmark
    expect(page.get_by_test_id("skip-link")).to_be_focused()
    expect(page.get_by_test_id("skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    axe(page, "trang chủ")
    shot(page, f"{prefix}01-home")

    if page.get_by_test_id("nav-toggle").is_visible():  # phone: the menu opens and closes
        expect(page.get_by_test_id("nav-procedures")).to_be_hidden()
        page.get_by_test_id("nav-toggle").click()
        expect(page.get_by_test_id("nav-procedures")).to_be_visible()
        shot(page, f"{prefix}01b-menu")
        page.get_by_test_id("nav-toggle").click()

    page.get_by_test_id("nav-register").click()
    expect(page.locator("h1")).to_have_text("Đăng ký")
    page.get_by_test_id("register-submit").click()  # empty: every field says what is wrong
    expect(page.get_by_test_id("problem")).to_contain_text("Số định danh cá nhân phải gồm 12 chữ số")
    page.get_by_test_id("reg-full-name").fill(who.full_name)
    page.get_by_test_id("reg-citizen-id").fill(who.citizen_id)
    page.get_by_test_id("reg-phone").fill(who.phone)
    page.get_by_test_id("reg-password").fill(who.password)
    page.get_by_test_id("reg-confirm").fill(who.password)
    axe(page, "đăng ký")
    shot(page, f"{prefix}02-register")
    since = datetime.now(UTC)
    page.get_by_test_id("register-submit").click()

    # The code comes by SMS to the phone given; a wrong one is refused, the right one makes the account.
    expect(page.locator("h1")).to_have_text("Xác nhận đăng ký")
    expect(page.get_by_test_id("register-sent")).to_contain_text("mã xác nhận gồm 6 chữ số đã được gửi")
    code = codes(who.phone, since)
    page.get_by_test_id("register-code").fill("000000" if code != "000000" else "111111")
    page.get_by_test_id("register-confirm").click()
    expect(page.get_by_test_id("problem")).to_contain_text("Mã xác nhận không đúng")
    axe(page, "xác nhận đăng ký")
    shot(page, f"{prefix}02b-register-code")
    page.get_by_test_id("register-code").fill(code)
    page.get_by_test_id("register-confirm").click()

    expect(page.locator("h1")).to_have_text("Đăng nhập")
    expect(page.get_by_test_id("flash")).to_contain_text("Đăng ký thành công")
    expect(page.get_by_test_id("login-username")).to_have_value(who.citizen_id)
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("problem")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng")
    page.get_by_test_id("login-password").fill(who.password)
    axe(page, "đăng nhập")
    shot(page, f"{prefix}03-login")
    page.get_by_test_id("login-submit").click()
    expect(page.locator("h1")).to_have_text("Hồ sơ của tôi")
    expect(page.get_by_test_id("bell")).to_be_visible()


def search_and_open(page: Page, shot, axe, prefix: str) -> None:
    page.get_by_test_id("nav-home").click() if page.get_by_test_id("nav-home").is_visible() else page.goto(
        "/"
    )
    # The home page's own box, once the move to it is over (a box filled on the page being left is lost).
    expect(page).to_have_url(re.compile(r"^[^?#]*://[^/]+/$"))
    page.get_by_test_id("search-input").fill("dang ky tam tru")
    page.get_by_test_id("search-submit").click()
    expect(page).to_have_url(re.compile(r"/tim-kiem\?q=dang\+ky\+tam\+tru$"))
    first = page.get_by_test_id("result-item").first
    expect(first).to_have_attribute("data-code", PROCEDURE)
    expect(first.locator("mark").first).to_have_text("Đăng ký tạm trú")
    expect(page.get_by_test_id("result-count")).to_contain_text("Tìm thấy")
    # The filters list the catalogue's implementing agencies, each with its number of procedures.
    agency_options = page.locator("#f-agency option")
    expect(agency_options.nth(1)).to_have_text(re.compile(r"^\S.* \(\d+\)$"))
    axe(page, "kết quả tìm kiếm")
    shot(page, f"{prefix}04-results")

    first.get_by_test_id("result-link").click()
    expect(page.locator("h1")).to_have_text("Đăng ký tạm trú")
    expect(page.get_by_test_id("procedure-facts")).to_contain_text("3 Ngày làm việc")
    expect(page.get_by_test_id("legal-basis")).to_contain_text("53/2025/TT-BCA")
    expect(page.get_by_test_id("components").first).to_be_visible()
    axe(page, "trang thủ tục")
    shot(page, f"{prefix}05-procedure")


def file_dossier(page: Page, who, files, shot, axe, prefix: str) -> tuple[str, str]:
    """From the procedure page to step 4; returns (dossier id, dossier code)."""
    expect(page.get_by_test_id("file-online")).to_have_text("Nộp trực tuyến")
    page.get_by_test_id("file-online").click()

    # Step 1: the ward, the case, the submitter (prefilled from the account)
    expect(page.get_by_test_id("step-1")).to_have_attribute("aria-current", "step")
    expect(page.get_by_test_id("submitter-full-name")).to_have_value(who.full_name)
    expect(page.get_by_test_id("submitter-citizen-id")).to_have_value(who.citizen_id)
    expect(page.get_by_test_id("submitter-phone")).to_have_value(who.phone)
    expect(page.get_by_test_id("case-option").first).to_be_checked()
    page.get_by_test_id("step1-next").click()  # no ward, no address yet
    problem = page.get_by_test_id("problem")
    expect(problem).to_contain_text("Vui lòng chọn cơ quan tiếp nhận")
    expect(problem).to_contain_text("Vui lòng nhập địa chỉ")
    page.get_by_test_id("agency-select").select_option(label=WARD)
    page.get_by_test_id("submitter-dob").fill("1990-05-19")
    page.get_by_test_id("submitter-address").fill("Số 25 Lạch Tray, phường Lê Chân, Hải Phòng")
    axe(page, "bước 1")
    shot(page, f"{prefix}06-step1")
    page.get_by_test_id("step1-next").click()

    # Step 2: one file a required component; wrong files refused before and after the upload
    expect(page.get_by_test_id("step-2")).to_have_attribute("aria-current", "step")
    expect(page).to_have_url(re.compile(r"/ho-so/[0-9a-f-]{36}\?buoc=2$"))
    dossier_id = re.search(r"/ho-so/([0-9a-f-]{36})", page.url).group(1)
    required = page.get_by_test_id("component").filter(has=page.locator(".badge-required"))
    count = required.count()
    assert count >= 1
    # What the office looks up in the national population database is not asked for, but may be given.
    lookup = page.get_by_test_id("component").filter(has=page.get_by_test_id("component-lookup"))
    expect(lookup).to_have_count(1)
    expect(lookup).to_contain_text("Cơ quan tự khai thác")
    first = required.nth(0)
    first.get_by_test_id("file-input").set_input_files(str(files["txt"]))
    expect(first.get_by_test_id("upload-error")).to_contain_text("không đúng định dạng")
    first.get_by_test_id("file-input").set_input_files(str(files["fake_pdf"]))
    expect(first.get_by_test_id("upload-error")).to_contain_text("Loại tệp không được chấp nhận")
    page.get_by_test_id("step2-next").click()  # still missing: named, and nothing moves on
    expect(page.get_by_test_id("files-missing")).to_contain_text("Chưa có tệp cho thành phần")
    for i in range(count):
        comp = required.nth(i)
        comp.get_by_test_id("file-input").set_input_files(str(files["png" if i == 0 else "pdf"]))
        expect(comp.get_by_test_id("attachment")).to_have_count(1)
    expect(required.nth(0).get_by_test_id("attachment")).to_contain_text(files["png"].name)
    lookup.get_by_test_id("file-input").set_input_files(str(files["pdf"]))
    expect(lookup.get_by_test_id("attachment")).to_have_count(1)
    expect(page.get_by_test_id("upload-progress")).to_have_count(0)
    axe(page, "bước 2")
    shot(page, f"{prefix}07-step2")
    page.get_by_test_id("step2-next").click()

    # Step 3: fees and the confirmation code
    expect(page.get_by_test_id("step-3")).to_have_attribute("aria-current", "step")
    expect(page.get_by_test_id("fee-table")).to_contain_text("7.000 đ")
    expect(page.get_by_test_id("captcha-image")).to_have_attribute(
        "src", re.compile(r"^data:image/png;base64,")
    )
    first_image = page.get_by_test_id("captcha-image").get_attribute("src")
    page.get_by_test_id("captcha-refresh").click()
    expect(page.get_by_test_id("captcha-image")).not_to_have_attribute("src", first_image)
    expect(page.get_by_test_id("captcha-refresh")).to_be_enabled()
    page.get_by_test_id("captcha-answer").fill(CAPTCHA_TEST_ANSWER)
    axe(page, "bước 3")
    shot(page, f"{prefix}08-step3")
    page.get_by_test_id("submit-dossier").click()

    # Step 4: the dossier code and what happens next
    expect(page.get_by_test_id("step-4")).to_have_attribute("aria-current", "step")
    code_box = page.get_by_test_id("dossier-code")
    expect(code_box).to_have_text(re.compile(rf"^{re.escape(WARD_CODE)}-\d{{6}}-\d{{4}}$"))
    expect(page.get_by_test_id("next-steps")).not_to_be_empty()
    code = code_box.inner_text().strip()
    axe(page, "bước 4")
    shot(page, f"{prefix}09-success")
    return dossier_id, code


def test_file_online_and_officer_accepts(
    new_page, shot, axe, staff, sample_files, codes, new_citizen, mfa_code
):
    who = new_citizen(**LAN_HUONG)
    page = new_page()
    register_and_login(page, who, shot, axe, "desktop-", codes)
    page.wait_for_function("document.querySelector('[data-testid=bell-count]')")
    search_and_open(page, shot, axe, "desktop-")
    unread_before = int(page.get_by_test_id("bell-count").inner_text())
    dossier_id, code = file_dossier(page, who, sample_files, shot, axe, "desktop-")

    # The notification arrives through the live stream: the count goes up with no reload.
    page.wait_for_function(
        "n => Number(document.querySelector('[data-testid=bell-count]').textContent) > n", arg=unread_before
    )
    page.get_by_test_id("bell").click()
    expect(page.get_by_test_id("bell-panel")).to_contain_text(f"Nộp hồ sơ thành công: {code}")
    axe(page, "chuông thông báo")
    shot(page, "desktop-10-bell")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("bell-panel")).to_be_hidden()

    page.get_by_test_id("view-dossier").click()
    expect(page.locator("h1")).to_have_text(f"Hồ sơ {code}")
    expect(page.get_by_test_id("dossier-status")).to_have_text("Mới đăng ký")
    expect(page.get_by_test_id("receipt-download")).to_have_count(0)

    # An officer of the ward's police, in another browser context
    officer = staff.create_officer([WARD_CODE])
    desk = new_page()
    desk.goto("/dang-nhap")
    desk.get_by_test_id("login-username").fill(officer["username"])
    desk.get_by_test_id("login-password").fill(officer["password"])
    desk.get_by_test_id("login-submit").click()
    # The second step: the code from the officer's authenticator app.
    expect(desk.locator("h1")).to_have_text("Xác thực hai bước")
    desk.get_by_test_id("mfa-code").fill(mfa_code(officer["totp_secret"]))
    desk.get_by_test_id("mfa-submit").click()
    expect(desk.locator("h1")).to_have_text("Hồ sơ cần xử lý")
    desk.get_by_test_id("queue-q").fill(code)
    desk.get_by_test_id("queue-apply").click()
    row = desk.locator(f'[data-testid=queue-row][data-code="{code}"]')
    expect(row).to_contain_text("Mới đăng ký")
    expect(row).to_contain_text(who.full_name)
    axe(desk, "hàng đợi cán bộ")
    shot(desk, "desktop-11-officer-queue")

    row.get_by_test_id("queue-link").click()
    expect(desk.locator("h1")).to_have_text(f"Hồ sơ {code}")
    desk.get_by_test_id("officer-file").filter(has_text=sample_files["png"].name).get_by_test_id(
        "preview-file"
    ).click()
    expect(desk.get_by_test_id("preview-image")).to_have_attribute("src", re.compile(r"^blob:"))
    desk.wait_for_function("document.querySelector('[data-testid=preview-image]').naturalWidth > 0")
    desk.get_by_test_id("preview-close").click()  # a modal dialog: the page behind waits for it to close
    desk.get_by_test_id("officer-file").filter(has_text=sample_files["pdf"].name).get_by_test_id(
        "preview-file"
    ).click()
    expect(desk.get_by_test_id("preview-open")).to_have_attribute("href", re.compile(r"^blob:"))
    with desk.expect_download() as dl:
        desk.get_by_test_id("preview-download").click()
    assert dl.value.suggested_filename == sample_files["pdf"].name
    axe(desk, "xem trước tệp (cán bộ)")
    shot(desk, "desktop-12-officer-preview")
    desk.keyboard.press("Escape")
    expect(desk.get_by_test_id("preview")).to_have_count(0)
    axe(desk, "hồ sơ (cán bộ)")
    shot(desk, "desktop-12-officer-dossier")

    desk.get_by_test_id("action-accept").click()
    expect(desk.get_by_test_id("action-form")).to_be_visible()
    desk.get_by_test_id("action-note").fill("Hồ sơ đầy đủ, hợp lệ.")
    desk.get_by_test_id("action-submit").click()
    expect(desk.get_by_test_id("action-done")).to_have_text("Đã tiếp nhận hồ sơ.")
    expect(desk.get_by_test_id("dossier-status")).to_have_text("Đã tiếp nhận")
    expect(desk.get_by_test_id("appointment")).to_be_visible()
    shot(desk, "desktop-13-officer-accepted")

    # The citizen's open page follows by itself: status, appointment, history, receipt.
    expect(page.get_by_test_id("dossier-status")).to_have_text("Đã tiếp nhận", timeout=20_000)
    expect(page.get_by_test_id("appointment")).to_have_text(
        re.compile(r"^\d{2}:\d{2} ngày \d{2}/\d{2}/\d{4}$")
    )
    expect(page.get_by_test_id("timeline")).to_contain_text("Đã tiếp nhận")
    expect(page.get_by_test_id("timeline")).to_contain_text("Hồ sơ đầy đủ, hợp lệ.")
    with page.expect_download() as dl:
        page.get_by_test_id("receipt-download").click()
    assert dl.value.suggested_filename == f"giay-tiep-nhan-{code}.pdf"
    axe(page, "hồ sơ của công dân")
    shot(page, "desktop-14-citizen-accepted")

    page.get_by_test_id("nav-my-dossiers").click()
    mine = page.locator(f'[data-testid=my-dossier-row][data-id="{dossier_id}"]')
    expect(mine).to_contain_text(code)
    expect(mine).to_contain_text("Đã tiếp nhận")
    axe(page, "hồ sơ của tôi")
    shot(page, "desktop-15-my-dossiers")

    # Anyone can look it up with the code and the phone number.
    public = new_page()
    public.goto("/tra-cuu")
    public.get_by_test_id("track-code").fill(code)
    public.get_by_test_id("track-by-phone").check()
    public.get_by_test_id("track-value").fill(who.phone)
    public.get_by_test_id("track-submit").click()
    expect(public.get_by_test_id("track-result")).to_contain_text("Đã tiếp nhận")
    axe(public, "tra cứu hồ sơ")
    shot(public, "desktop-16-track")

    for p in (page, desk, public):
        assert p.js_errors == []


def test_citizen_files_online_on_a_phone(new_page, shot, axe, sample_files, codes, new_citizen):
    who = new_citizen(**LAN_HUONG)
    page = new_page(390, 844, mobile=True)
    register_and_login(page, who, shot, axe, "phone-", codes)
    search_and_open(page, shot, axe, "phone-")
    _, code = file_dossier(page, who, sample_files, shot, axe, "phone-")
    expect(page.get_by_test_id("bell-panel")).to_have_count(0)
    page.get_by_test_id("bell").click()
    expect(page.get_by_test_id("bell-panel")).to_contain_text(code)
    shot(page, "phone-10-bell")
    page.get_by_test_id("bell").click()

    # The draft of a second dossier resumes at the step it reached.
    page.goto(f"/thu-tuc/{PROCEDURE}")
    page.get_by_test_id("file-online").click()
    page.get_by_test_id("agency-select").select_option(label=WARD)
    page.get_by_test_id("submitter-dob").fill("1990-05-19")
    page.get_by_test_id("submitter-address").fill("Số 25 Lạch Tray, phường Lê Chân, Hải Phòng")
    page.get_by_test_id("step1-next").click()
    expect(page.get_by_test_id("step-2")).to_have_attribute("aria-current", "step")
    draft_url = page.url.split("?")[0]
    page.goto("/ho-so")
    page.get_by_test_id("my-dossier-link").filter(has_text="Hồ sơ nháp").first.click()
    expect(page.get_by_test_id("step-2")).to_have_attribute("aria-current", "step")
    assert page.url.split("?")[0] == draft_url

    # English, remembered, and back
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("File a dossier online")
    page.reload()
    expect(page.get_by_test_id("step-2")).to_contain_text("Step 2")
    shot(page, "phone-11-english")
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    assert page.js_errors == []


def filed_by_api(by_api, who, agency: str, files) -> tuple[str, str]:
    """A dossier filed through the API (the journey above covers the screens): (id, code)."""
    by_api.register(who)
    d = by_api.draft(
        who,
        PROCEDURE,
        agency,
        date_of_birth="1985-02-03",
        address="Số 8 Trần Thành Ngọ, phường Kiến An, Hải Phòng",
    )
    f = files["pdf"]
    by_api.attach(who, d, lambda _i, _cid: (f.name, f.read_bytes(), "application/pdf"))
    return d["id"], by_api.submit(who, d)["code"]


def test_supplement_and_result(
    new_page, shot, axe, staff, sample_files, new_citizen, by_api, sign_in, tmp_path
):
    """The officer asks for a supplement, the citizen uploads it and resubmits, the officer proposes
    the result document, a leader approves (signs) it and the citizen downloads it — each side's page
    following live."""
    who = new_citizen(**LAN_HUONG)
    ward = "000.01.H1.H26"  # Công an Phường Kiến An
    dossier_id, code = filed_by_api(by_api, who, ward, sample_files)
    officer = staff.create_officer([ward])

    desk = new_page()
    sign_in(desk, officer["username"], officer["password"], totp=officer["totp_secret"])
    desk.goto(f"/can-bo/ho-so/{dossier_id}")
    desk.get_by_test_id("action-accept").click()
    desk.get_by_test_id("action-submit").click()
    expect(desk.get_by_test_id("dossier-status")).to_have_text("Đã tiếp nhận")

    page = new_page()
    sign_in(page, who.citizen_id, who.password)
    page.goto(f"/ho-so/{dossier_id}")
    expect(page.locator("h1")).to_have_text(f"Hồ sơ {code}")
    expect(page.get_by_test_id("dossier-status")).to_have_text("Đã tiếp nhận")

    desk.get_by_test_id("action-request-supplement").click()
    desk.get_by_test_id("action-submit").click()  # the list is required
    expect(desk.get_by_test_id("problem")).to_contain_text("Vui lòng liệt kê giấy tờ cần bổ sung")
    desk.get_by_test_id("action-items").fill("Bản sao hợp đồng thuê nhà có chứng thực\nẢnh chụp CCCD mặt sau")
    axe(desk, "yêu cầu bổ sung (cán bộ)")
    desk.get_by_test_id("action-submit").click()
    expect(desk.get_by_test_id("dossier-status")).to_have_text("Yêu cầu bổ sung")

    supplement = page.get_by_test_id("supplement")
    expect(supplement).to_contain_text("Bản sao hợp đồng thuê nhà có chứng thực", timeout=20_000)
    expect(page.get_by_test_id("dossier-status")).to_have_text("Yêu cầu bổ sung")
    page.get_by_test_id("resubmit").click()  # nothing uploaded yet: the server says so
    expect(page.get_by_test_id("problem")).to_contain_text("Chưa tải lên giấy tờ bổ sung")
    comp = supplement.get_by_test_id("component").first
    before = comp.get_by_test_id("attachment").count()
    comp.get_by_test_id("file-input").set_input_files(str(sample_files["png"]))
    expect(comp.get_by_test_id("attachment")).to_have_count(before + 1)
    axe(page, "bổ sung hồ sơ")
    shot(page, "supplement-01-citizen")
    page.get_by_test_id("resubmit").click()
    expect(page.get_by_test_id("action-done")).to_have_text("Đã gửi hồ sơ bổ sung.")
    expect(page.get_by_test_id("dossier-status")).to_have_text("Đang xử lý")

    desk.reload()
    expect(desk.get_by_test_id("dossier-status")).to_have_text("Đang xử lý")
    # The officer (desk and specialist at once) proposes the result; a leader approves and signs it.
    result = tmp_path / sample_files["result"].name
    result.write_bytes(result_pdf("GIẤY XÁC NHẬN", "Đã cập nhật thông tin tạm trú"))
    desk.get_by_test_id("action-propose").click()
    desk.get_by_test_id("action-outcome-grant").check()
    desk.get_by_test_id("action-file").set_input_files(str(result))
    desk.get_by_test_id("action-note").fill("Đã cập nhật thông tin tạm trú.")
    shot(desk, "supplement-02-officer-propose")
    desk.get_by_test_id("action-submit").click()
    expect(desk.get_by_test_id("action-done")).to_have_text("Đã trình kết quả lên lãnh đạo.")
    leader = new_page()
    boss = staff.create_officer([ward], roles=["leader"], full_name="Vũ Thị Lãnh Đạo")
    sign_in(leader, boss["username"], boss["password"], totp=boss["totp_secret"])
    leader.goto(f"/can-bo/ho-so/{dossier_id}")
    leader.get_by_test_id("action-approve").click()
    leader.get_by_test_id("action-submit").click()
    expect(leader.get_by_test_id("dossier-status")).to_have_text("Đã xử lý xong")
    desk.reload()

    expect(page.get_by_test_id("dossier-status")).to_have_text("Đã xử lý xong", timeout=20_000)
    with page.expect_download() as dl:
        page.get_by_test_id("results").get_by_test_id("download-file").click()
    assert dl.value.suggested_filename == sample_files["result"].name
    shot(page, "supplement-03-citizen-result")

    desk.get_by_test_id("action-return-result").click()
    desk.get_by_test_id("action-submit").click()
    expect(desk.get_by_test_id("dossier-status")).to_have_text("Đã trả kết quả")
    expect(page.get_by_test_id("dossier-status")).to_have_text("Đã trả kết quả", timeout=20_000)
    assert page.js_errors == [] and desk.js_errors == [] and leader.js_errors == []


def test_administrator_screens(new_page, shot, axe, sign_in):
    page = new_page()
    sign_in(page, "admin", "admin-dev-password", totp=admin_totp_secret())
    expect(page.locator("h1")).to_have_text("Quản lý cán bộ")

    n = uuid.uuid4().hex[:6]
    page.get_by_test_id("staff-new").click()
    page.get_by_test_id("staff-full-name").fill("Phạm Văn Đức")
    page.get_by_test_id("staff-username").fill(f"duc_{n}")
    page.get_by_test_id("staff-password").fill(f"Do-Son-{n}-Beach")
    page.get_by_test_id("staff-agencies").fill("000.31.03.H26, 000.01.G7.H26")
    axe(page, "tạo cán bộ")
    page.get_by_test_id("staff-submit").click()
    expect(page.get_by_test_id("admin-done")).to_contain_text("Phạm Văn Đức")
    row = page.locator(f'[data-testid=user-row][data-username="duc_{n}"]')
    expect(row).to_contain_text("000.01.G7.H26, 000.31.03.H26")  # sorted
    expect(row.get_by_test_id("user-state")).to_have_text("Đang hoạt động")
    expect(row.get_by_test_id("user-mfa")).to_have_text("Chưa đăng ký xác thực hai bước")  # not signed in yet
    expect(row.get_by_test_id("reset-mfa")).to_have_count(0)
    row.get_by_test_id("toggle-lock").click()
    expect(row.get_by_test_id("user-state")).to_have_text("Đã khóa")
    axe(page, "quản lý cán bộ")
    shot(page, "admin-01-officers")
    row.get_by_test_id("toggle-lock").click()
    expect(row.get_by_test_id("user-state")).to_have_text("Đang hoạt động")

    page.get_by_test_id("nav-admin-procedures").click()
    page.get_by_test_id("admin-proc-q").fill("xac nhan thong tin ve cu tru")
    page.get_by_test_id("admin-proc-search").click()
    proc = page.locator('[data-testid=admin-proc-row][data-code="1.010041"]')
    proc.get_by_test_id("manage").click()
    manage = page.get_by_test_id("manage-procedure")
    expect(manage).to_contain_text("Trực tuyến")
    # Flip between the two online levels (the per-run namespace is thrown away afterwards; against a
    # developer's stack the procedure stays fileable either way).
    now = page.get_by_test_id("online-level").input_value()
    other = "partial" if now == "full" else "full"
    page.get_by_test_id("online-level").select_option(other)
    page.get_by_test_id("save-level").click()
    expect(page.get_by_test_id("save-level")).to_be_disabled()
    # The catalog rebuilds its whole search index before it answers a change (about 13 s here).
    expect(page.get_by_test_id("manage-done")).to_have_text("Đã lưu mức độ trực tuyến.", timeout=60_000)
    expect(manage).to_contain_text({"full": "Trực tuyến toàn trình", "partial": "Trực tuyến một phần"}[other])
    axe(page, "quản lý thủ tục")
    shot(page, "admin-02-procedures")
    assert page.js_errors == []


def test_administrator_gives_roles_by_checkboxes_and_names_the_default_specialist(
    new_page, shot, axe, sign_in
):
    """A staff account made with some of the one-stop roles ticked, its roles changed on its row, and the
    agency's default specialist chosen among its specialists, then cleared."""
    page = new_page()
    sign_in(page, "admin", "admin-dev-password", totp=admin_totp_secret())
    n = uuid.uuid4().hex[:6]
    page.get_by_test_id("staff-new").click()
    create = page.get_by_test_id("create-staff")
    # Reception, specialist and leader are ticked for a new account: untick all to see the error.
    for role in ("reception", "specialist", "leader"):
        create.get_by_test_id(f"staff-role-{role}").uncheck()
    page.get_by_test_id("staff-full-name").fill("Vũ Thị Chuyên Viên")
    page.get_by_test_id("staff-username").fill(f"cv_{n}")
    page.get_by_test_id("staff-password").fill(f"Cat-Hai-{n}-Island")
    page.get_by_test_id("staff-submit").click()
    expect(page.get_by_test_id("problem")).to_contain_text("Chọn ít nhất một vai trò")
    create.get_by_role("checkbox", name="Chuyên viên").check()
    page.get_by_test_id("staff-agencies").fill(WARD_CODE)
    axe(page, "vai trò cán bộ")
    page.get_by_test_id("staff-submit").click()
    expect(page.get_by_test_id("admin-done")).to_contain_text("Vũ Thị Chuyên Viên")
    row = page.locator(f'[data-testid=user-row][data-username="cv_{n}"]')
    expect(row.get_by_test_id("user-roles")).to_have_text("Chuyên viên")

    row.get_by_test_id("edit-roles").click()
    edit = page.get_by_test_id("edit-staff")
    expect(page.get_by_test_id("edit-staff-title")).to_be_focused()
    expect(edit.get_by_role("checkbox", name="Chuyên viên")).to_be_checked()
    edit.get_by_role("checkbox", name="Lãnh đạo").check()
    page.get_by_test_id("edit-submit").click()
    expect(page.get_by_test_id("admin-done")).to_contain_text("Đã lưu vai trò của Vũ Thị Chuyên Viên")
    expect(row.get_by_test_id("user-roles")).to_have_text("Chuyên viên, Lãnh đạo")
    shot(page, "admin-03-roles")

    box = page.get_by_test_id("default-specialist")
    box.get_by_test_id("ds-agency").fill(WARD_CODE)
    box.get_by_test_id("ds-show").click()
    box.get_by_test_id("ds-specialist").select_option(label="Vũ Thị Chuyên Viên")
    box.get_by_test_id("ds-save").click()
    expect(box.get_by_test_id("ds-done")).to_contain_text(
        "Đã đặt Vũ Thị Chuyên Viên làm chuyên viên mặc định"
    )
    expect(box.get_by_test_id("ds-current")).to_contain_text("Vũ Thị Chuyên Viên")
    axe(page, "chuyên viên mặc định")
    shot(page, "admin-04-default-specialist")
    box.get_by_test_id("ds-clear").click()
    expect(box.get_by_test_id("ds-done")).to_contain_text("Đã bỏ chuyên viên mặc định")
    expect(box.get_by_test_id("ds-current")).to_contain_text("chưa có chuyên viên mặc định")
    assert page.js_errors == []


def test_the_account_page_changes_the_email_only_with_the_password_and_its_code(
    new_page, shot, axe, codes, citizen_by_api, sign_in
):
    """Tài khoản của tôi: a new email needs the current password, waits for the code sent to it, then
    becomes the account's (issue 12, finding 1, as a citizen sees it)."""
    who = citizen_by_api(**LAN_HUONG)
    page = new_page()
    sign_in(page, who.citizen_id, who.password)
    page.get_by_test_id("user-name").click()
    expect(page.locator("h1")).to_have_text("Tài khoản của tôi")
    expect(page.get_by_test_id("account-facts")).to_contain_text(who.phone)
    axe(page, "tài khoản")
    shot(page, "account-01")
    address = f"moi{who.citizen_id[-6:]}@example.vn"
    page.get_by_test_id("acc-email").fill(address)
    page.get_by_test_id("contact-submit").click()  # no password: refused before anything is sent
    expect(page.get_by_test_id("problem")).to_contain_text("Vui lòng nhập mật khẩu")
    page.get_by_test_id("acc-password").fill("Khong-Phai-Mat-Khau-1")
    page.get_by_test_id("contact-submit").click()
    expect(page.get_by_test_id("problem")).to_contain_text("Mật khẩu hiện tại không đúng")
    since = datetime.now(UTC)
    page.get_by_test_id("acc-password").fill(who.password)
    page.get_by_test_id("contact-submit").click()
    expect(page.get_by_test_id("contact-done")).to_be_visible()
    expect(page.get_by_test_id("account-facts")).not_to_contain_text(address)  # not until confirmed
    page.get_by_test_id("confirm-email-code").fill(codes(address, since))
    axe(page, "xác nhận email")
    shot(page, "account-02-confirm")
    page.get_by_test_id("confirm-email-submit").click()
    expect(page.get_by_test_id("account-facts")).to_contain_text(address)
    expect(page.get_by_test_id("confirm-email")).to_have_count(0)
    assert page.js_errors == []


def test_a_business_files_through_its_legal_representative(
    new_page, shot, axe, sample_files, citizen_by_api, sign_in
):
    """Step 1 for an organisation: the representative signs in as themself, says the dossier is the
    business's, fills its enterprise code and office, and is its legal representative (no authorisation
    asked); the dossier goes to the department the catalogue routes it to."""
    who = citizen_by_api("Phạm Văn Doanh")
    page = new_page()
    sign_in(page, who.citizen_id, who.password)
    page.goto("/thu-tuc/1.000314")  # Chấp thuận vị trí đấu nối tạm vào đường bộ: businesses, organisations
    page.get_by_test_id("file-online").click()
    expect(page.get_by_test_id("step-1")).to_have_attribute("aria-current", "step")
    expect(page.get_by_test_id("audience")).to_contain_text("Doanh nghiệp")
    page.get_by_test_id("submitter-dob").fill("08/03/1979")
    page.get_by_test_id("submitter-address").fill("Số 8 Trần Phú, phường Ngô Quyền, Hải Phòng")
    page.get_by_test_id("has-owner").check()
    page.get_by_test_id("owner-kind-business").check()
    expect(page.get_by_test_id("org-fields")).to_be_visible()
    page.get_by_test_id("step1-next").click()  # empty: the business's fields say what is missing
    problem = page.get_by_test_id("problem")
    expect(problem).to_contain_text("Nhập tên doanh nghiệp, tổ chức")
    expect(problem).to_contain_text("Mã số gồm 10 chữ số")
    page.get_by_test_id("org-name").fill("Công ty Cổ phần Vận tải Bạch Đằng")
    page.get_by_test_id("org-tax-code").fill("0200123456")
    page.get_by_test_id("org-phone").fill("0225 3745 678")
    page.get_by_test_id("org-address").fill("Số 3 Lê Thánh Tông, phường Ngô Quyền, Hải Phòng")
    expect(page.get_by_test_id("authorization-note")).to_be_visible()
    page.get_by_test_id("i-am-representative").check()
    expect(page.get_by_test_id("rep-full-name")).to_have_value(who.full_name)
    expect(page.get_by_test_id("rep-citizen-id")).to_have_value(who.citizen_id)
    expect(page.get_by_test_id("authorization-note")).to_have_count(0)
    page.get_by_test_id("rep-position").fill("Tổng Giám đốc")
    axe(page, "bước 1 (doanh nghiệp)")
    shot(page, "business-06-step1")
    page.get_by_test_id("step1-next").click()

    expect(page.get_by_test_id("step-2")).to_have_attribute("aria-current", "step")
    required = page.get_by_test_id("component").filter(has=page.locator(".badge-required"))
    expect(page.get_by_test_id("component").filter(has_text="Văn bản ủy quyền")).to_have_count(0)
    for i in range(required.count()):
        comp = required.nth(i)
        comp.get_by_test_id("file-input").set_input_files(str(sample_files["pdf"]))
        expect(comp.get_by_test_id("attachment")).to_have_count(1)
    page.get_by_test_id("step2-next").click()
    expect(page.get_by_test_id("step-3")).to_have_attribute("aria-current", "step")
    expect(page.get_by_test_id("captcha-image")).to_have_attribute(
        "src", re.compile(r"^data:image/png;base64,")
    )
    page.get_by_test_id("captcha-answer").fill(CAPTCHA_TEST_ANSWER)
    page.get_by_test_id("submit-dossier").click()
    expect(page.get_by_test_id("problem")).to_have_count(0)
    expect(page.get_by_test_id("step-4")).to_have_attribute("aria-current", "step")
    expect(page.get_by_test_id("dossier-code")).to_have_text(re.compile(r"^000\.00\.09\.H26-\d{6}-\d{4}$"))
    shot(page, "business-09-success")
    assert page.js_errors == []
