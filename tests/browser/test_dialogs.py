"""Where the keyboard focus goes when part of a page opens and closes (WCAG 2.4.3, issue 13): the
citizen's "Rút hồ sơ" confirmation, the officer's file preview (a modal dialog) and action forms, the
administrator's new-account form and procedure panel. axe-core checks each state on the way, the open
dialog included."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from devstack.client import admin_totp_secret

PROCEDURE = "1.004194"  # Đăng ký tạm trú
WARD = "000.01.H1.H26"  # Công an Phường Kiến An
BLOB = re.compile(r"^blob:")


def file_by_api(citizen_by_api, by_api, files) -> dict[str, str]:
    """A citizen registered and a dossier filed through the API (the journey in test_portal covers the
    screens): the first required component gets the PNG, the others and the looked-up one the PDF. Returns the citizen's
    login, the dossier's id and code."""
    who = citizen_by_api(
        "Vũ Thị Minh Nguyệt", id_prefix="0316", phone_prefix="094", password="Cat-Ba-{n}-Island"
    )
    d = by_api.draft(
        who, PROCEDURE, WARD, date_of_birth="1992-08-30", address="Số 12 Đà Nẵng, phường Ngô Quyền, Hải Phòng"
    )

    def file_for(i: int, _cid: str) -> tuple[str, bytes, str]:
        f, kind = (files["png"], "image/png") if i == 0 else (files["pdf"], "application/pdf")
        return f.name, f.read_bytes(), kind

    assert by_api.attach(who, d, file_for)
    # The PDF too, on the component the office looks up itself (the citizen may still attach it).
    lookup = next(c["id"] for c in d["procedure"]["components"] if c.get("lookup"))
    f = files["pdf"]
    r = by_api.http.post(
        f"/api/v1/submissions/dossiers/{d['id']}/attachments",
        headers=who.auth,
        data={"component_id": lookup},
        files={"file": (f.name, f.read_bytes(), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    filed = by_api.submit(who, d)
    return {"username": who.citizen_id, "password": who.password, "id": d["id"], "code": filed["code"]}


def focus_is_inside(page: Page, testid: str) -> bool:
    """The focused element is in the element of that test id (and is not the document's body)."""
    return page.evaluate(
        """(id) => {
            const box = document.querySelector(`[data-testid="${id}"]`);
            const at = document.activeElement;
            return Boolean(box && at && at !== document.body && box.contains(at));
        }""",
        testid,
    )


def test_withdraw_confirmation_takes_and_gives_back_the_focus(
    new_page, shot, axe, citizen_by_api, by_api, sample_files, sign_in, listen
):
    filed = file_by_api(citizen_by_api, by_api, sample_files)
    page = new_page()
    said = listen(page)
    sign_in(page, filed["username"], filed["password"])

    # The notifications page (the filing's "Nộp hồ sơ thành công") on the way.
    page.goto("/thong-bao")
    expect(page.locator("h1")).to_have_text("Thông báo")
    expect(page.get_by_test_id("notifications")).to_contain_text(filed["code"])
    axe(page, "thông báo")
    shot(page, "dialogs-01-notifications")
    # "Đánh dấu đã đọc" removes its own button: the focus goes to that notification's heading.
    item = page.get_by_test_id("notification").filter(has_text=filed["code"]).first
    item.get_by_role("button", name=re.compile("^Đánh dấu đã đọc")).focus()
    page.keyboard.press("Enter")
    expect(item.get_by_role("heading")).to_be_focused()
    expect(item.get_by_role("button", name=re.compile("^Đánh dấu đã đọc"))).to_have_count(0)
    said.expect("Đã đánh dấu là đã đọc.", exact=True)

    page.goto(f"/ho-so/{filed['id']}")
    expect(page.locator("h1")).to_have_text(f"Hồ sơ {filed['code']}")
    withdraw = page.get_by_test_id("withdraw")

    # Opened from the keyboard: the focus goes to the confirmation's question, not to <body>.
    withdraw.focus()
    page.keyboard.press("Enter")
    form = page.get_by_test_id("withdraw-form")
    expect(form).to_be_visible()
    expect(page.get_by_test_id("withdraw-title")).to_be_focused()
    expect(page.get_by_role("form", name="Bạn chắc chắn muốn rút hồ sơ này?")).to_be_visible()
    page.keyboard.press("Tab")  # the next stop is the confirmation's first control
    expect(page.locator("#withdraw-reason")).to_be_focused()
    axe(page, "xác nhận rút hồ sơ")
    shot(page, "dialogs-02-withdraw-confirm")

    # "Hủy" gives the focus back to "Rút hồ sơ".
    page.get_by_test_id("withdraw-cancel").focus()
    page.keyboard.press("Enter")
    expect(form).to_have_count(0)
    expect(withdraw).to_be_focused()

    # So does Escape, anywhere in the confirmation; and a mouse click opens it the same way.
    withdraw.click()
    expect(page.get_by_test_id("withdraw-title")).to_be_focused()
    page.locator("#withdraw-reason").fill("Tôi đã nộp nhầm phường.")
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)
    expect(withdraw).to_be_focused()

    # Confirmed: the button is gone for good; the focus is on the message saying what happened, which
    # the live region says as well, and the status reads "withdrawn".
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("withdraw-title")).to_be_focused()
    page.locator("#withdraw-reason").fill("Tôi đã nộp nhầm phường.")
    page.get_by_test_id("withdraw-confirm").click()
    done = page.get_by_test_id("action-done")
    expect(done).to_have_text("Đã rút hồ sơ.")
    expect(done).to_be_focused()
    expect(page.get_by_test_id("dossier-status")).to_have_attribute("data-status", "withdrawn")
    said.expect("Đã rút hồ sơ.", exact=True)
    expect(withdraw).to_have_count(0)
    expect(done).to_be_focused()  # still there once the dossier was read again
    expect(page.get_by_test_id("timeline")).to_contain_text("Tôi đã nộp nhầm phường.")
    axe(page, "hồ sơ đã rút")
    shot(page, "dialogs-03-withdrawn")
    assert page.js_errors == []


def test_officer_file_preview_is_a_modal_dialog(
    new_page, shot, axe, staff, citizen_by_api, by_api, sample_files, sign_in
):
    filed = file_by_api(citizen_by_api, by_api, sample_files)
    officer = staff.create_officer([WARD])
    desk = new_page()
    sign_in(desk, officer["username"], officer["password"], totp=officer["totp_secret"])
    desk.goto(f"/can-bo/ho-so/{filed['id']}")
    expect(desk.locator("h1")).to_have_text(f"Hồ sơ {filed['code']}")

    png = sample_files["png"].name
    opener = desk.get_by_test_id("officer-file").filter(has_text=png).get_by_test_id("preview-file")
    opener.focus()
    desk.keyboard.press("Enter")

    # A modal <dialog>, named by its heading; the focus is inside it, on "Đóng".
    dialog = desk.get_by_role("dialog", name=f"Xem trước: {png}")
    expect(dialog).to_be_visible()
    state = desk.evaluate(
        """() => {
            const d = document.querySelector('[data-testid=preview]');
            const title = document.getElementById(d.getAttribute('aria-labelledby'));
            return {tag: d.tagName, open: d.open, modal: d.matches(':modal'), title: title && title.textContent};
        }"""
    )
    assert state == {"tag": "DIALOG", "open": True, "modal": True, "title": f"Xem trước: {png}"}
    expect(desk.get_by_test_id("preview-close")).to_be_focused()
    expect(desk.get_by_test_id("preview-image")).to_have_attribute("src", BLOB)
    desk.wait_for_function("document.querySelector('[data-testid=preview-image]').naturalWidth > 0")
    expect(desk.get_by_test_id("preview-download")).to_be_visible()

    # Tab and Shift+Tab go round the dialog's controls, never behind it (the page is inert).
    stops = desk.evaluate(
        """() => [...document.querySelectorAll('[data-testid=preview] a[href], [data-testid=preview] button')]
            .map(e => e.dataset.testid)"""
    )
    assert stops == ["preview-close", "preview-download"]
    seen = []
    for key in ["Tab"] * 5 + ["Shift+Tab"] * 5:
        desk.keyboard.press(key)
        assert focus_is_inside(desk, "preview"), f"{key} took the focus out of the dialog"
        seen.append(desk.evaluate("document.activeElement.dataset.testid"))
    assert set(seen) == {"preview-close", "preview-download"}, seen
    desk.evaluate("document.querySelector('[data-testid=action-accept]').focus()")  # inert: refused
    assert focus_is_inside(desk, "preview"), "a control behind the dialog took the focus"
    axe(desk, "xem trước tệp ảnh (hộp thoại)")
    shot(desk, "dialogs-04-preview-image")

    # Escape closes it and the focus goes back to the button that opened it.
    desk.keyboard.press("Escape")
    expect(desk.get_by_test_id("preview")).to_have_count(0)
    expect(opener).to_be_focused()

    # The PDF's preview, opened with the mouse, closed with "Đóng": the same.
    pdf = sample_files["pdf"].name
    opener = desk.get_by_test_id("officer-file").filter(has_text=pdf).first.get_by_test_id("preview-file")
    opener.click()
    dialog = desk.get_by_role("dialog", name=f"Xem trước: {pdf}")
    expect(dialog).to_be_visible()
    expect(desk.get_by_test_id("preview-open")).to_have_attribute("href", BLOB)
    expect(desk.get_by_test_id("preview-close")).to_be_focused()
    axe(desk, "xem trước tệp PDF (hộp thoại)")
    shot(desk, "dialogs-05-preview-pdf")
    desk.get_by_test_id("preview-close").click()
    expect(desk.get_by_test_id("preview")).to_have_count(0)
    expect(opener).to_be_focused()
    axe(desk, "hồ sơ (cán bộ) sau khi đóng xem trước")

    # An action's form: its first field takes the focus; Escape or "Hủy" gives it back to the action.
    accept = desk.get_by_test_id("action-accept")
    accept.focus()
    desk.keyboard.press("Enter")
    expect(desk.get_by_test_id("action-assignee")).to_be_focused()  # accept's first field: the specialist
    desk.keyboard.press("Escape")
    expect(desk.get_by_test_id("action-form")).to_have_count(0)
    expect(accept).to_be_focused()
    accept.click()
    desk.get_by_test_id("action-form").get_by_role("button", name="Hủy").click()
    expect(desk.get_by_test_id("action-form")).to_have_count(0)
    expect(accept).to_be_focused()
    assert desk.js_errors == []


def test_administrator_panels_keep_the_focus(new_page, shot, axe, sign_in, listen):
    page = new_page()
    said = listen(page)
    sign_in(page, "admin", "admin-dev-password", totp=admin_totp_secret())
    expect(page.locator("h1")).to_have_text("Quản lý cán bộ")

    # The new account's form takes its button's place: the focus goes to its heading, and back to the
    # button on Escape or "Hủy"; once the account is made, to the message that says so.
    new = page.get_by_test_id("staff-new")
    new.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("create-staff-title")).to_be_focused()
    expect(page.get_by_role("form", name="Thêm tài khoản cán bộ")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("create-staff")).to_have_count(0)
    expect(new).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("create-staff-title")).to_be_focused()
    page.get_by_test_id("create-staff").get_by_role("button", name="Hủy").click()
    expect(new).to_be_focused()
    page.keyboard.press("Enter")
    n = uuid.uuid4().hex[:6]
    page.get_by_test_id("staff-full-name").fill("Đỗ Thị Hải Yến")
    page.get_by_test_id("staff-username").fill(f"yen_{n}")
    page.get_by_test_id("staff-password").fill(f"Hon-Dau-{n}-Light")
    page.get_by_test_id("staff-agencies").fill(WARD)
    page.get_by_test_id("staff-submit").click()
    done = page.get_by_test_id("admin-done")
    expect(done).to_contain_text("Đỗ Thị Hải Yến")
    expect(done).to_be_focused()

    # Locking keeps the focus on the row's button; the live region says what happened.
    row = page.locator(f'[data-testid=user-row][data-username="yen_{n}"]')
    row.get_by_test_id("toggle-lock").click()
    expect(row.get_by_test_id("user-state")).to_have_text("Đã khóa")
    expect(row.get_by_test_id("toggle-lock")).to_be_focused()
    said.expect("Đã khóa tài khoản Đỗ Thị Hải Yến.", exact=True)

    # A procedure's panel: its heading once loaded; the withdrawal's question, and back; back to the
    # row's "Quản lý" on "Đóng".
    page.get_by_test_id("nav-admin-procedures").click()
    page.get_by_test_id("admin-proc-q").fill("xac nhan thong tin ve cu tru")
    page.get_by_test_id("admin-proc-search").click()
    expect(page).to_have_url(re.compile(r"q=xac\+nhan"))
    # The search's own answer, not the list shown before it (which also holds this popular procedure: a
    # button focused there moves when the answer comes, and a moved element loses the focus).
    expect(page.get_by_test_id("admin-proc-row").first).to_have_attribute("data-code", "1.010041")
    manage = page.locator('[data-testid=admin-proc-row][data-code="1.010041"]').get_by_test_id("manage")
    manage.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#manage-title")).to_be_focused()
    withdraw = page.get_by_test_id("withdraw-procedure")
    withdraw.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("withdraw-question")).to_be_focused()
    axe(page, "xác nhận rút thủ tục")
    shot(page, "dialogs-06-admin-withdraw-confirm")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("withdraw-question")).to_have_count(0)
    expect(withdraw).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_test_id("withdraw-cancel").click()
    expect(withdraw).to_be_focused()
    page.get_by_test_id("manage-close").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("manage-procedure")).to_have_count(0)
    expect(manage).to_be_focused()
    assert page.js_errors == []
