"""The one-stop workflow in a browser (issue 19), each person on their own screen: the reception desk
accepts a filed dossier and assigns the specialist, the specialist proposes the result with its PDF, the
leader reviews the proposal and approves (signing it), the desk returns the result, and the citizen
follows it and downloads the signed result and the papers from "Hồ sơ của tôi". A second walk: the desk
of the wrong ward transfers a dossier to another agency, whose desk finds it in its own queue.

Three officers with one role each (``roles`` of ``POST /api/v1/auth/users``). The queues' views ("Việc
của tôi", "Sắp đến hạn", "Quá hạn", "Tất cả") and the colour of each row, with its words, are checked on
the way; axe-core checks every screen."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from devstack.client import result_pdf

PROCEDURE = "1.004194"  # Đăng ký tạm trú
KIEN_AN = "000.01.H1.H26"  # Công an phường Kiến An
LE_CHAN = "000.01.G7.H26"  # Công an phường Lê Chân
# A step's state in words; "done" once decided (the desk's return is counted against the appointment).
STEP_WORDS = {"on_time": "Trong hạn", "due_soon": "Sắp đến hạn", "overdue": "Quá hạn", "done": "Đã xong"}


def filed(by_api, citizen_by_api, files, agency: str, name: str, id_prefix: str) -> tuple[object, str, str]:
    """A citizen registered and a dossier filed at ``agency`` through the API: (citizen, id, code)."""
    who = citizen_by_api(name, id_prefix=id_prefix, phone_prefix="096", password="Do-Son-{n}-Beach")
    d = by_api.draft(
        who, PROCEDURE, agency, date_of_birth="1990-05-17", address="Số 5 Trần Nguyên Hãn, Hải Phòng"
    )
    f = files["pdf"]
    by_api.attach(who, d, lambda _i, _cid: (f.name, f.read_bytes(), "application/pdf"))
    return who, d["id"], by_api.submit(who, d)["code"]


def signed_in(new_page, sign_in, officer: dict) -> Page:
    page = new_page()
    sign_in(page, officer["username"], officer["password"], totp=officer["totp_secret"])
    return page


def row_of(page: Page, code: str):
    return page.locator(f"[data-testid=queue-row][data-code='{code}']")


def open_tab(page: Page, key: str, code: str) -> None:
    """The queue's view ``key``, with the dossier ``code`` in it, coloured by its step's state in words."""
    page.goto("/can-bo")
    page.get_by_test_id(f"queue-tab-{key}").click()
    expect(page.get_by_test_id(f"queue-tab-{key}")).to_have_attribute("aria-current", "page")
    row = row_of(page, code)
    expect(row).to_be_visible()
    state = row.get_attribute("data-step-state")
    assert state in STEP_WORDS, state
    expect(row).to_have_class(re.compile(rf"\bstep-{state}\b"))
    expect(row.get_by_test_id("step-state")).to_contain_text(STEP_WORDS[state])


def act(page: Page, action: str) -> None:
    page.get_by_test_id(f"action-{action}").click()
    expect(page.locator(f"[data-testid=action-form][data-action='{action}']")).to_be_visible()


def test_reception_specialist_leader_and_return(
    new_page, staff, by_api, citizen_by_api, sample_files, sign_in, axe, shot, tmp_path
):
    who, dossier_id, code = filed(by_api, citizen_by_api, sample_files, KIEN_AN, "Phạm Văn Khải", "0318")
    desk = staff.create_officer([KIEN_AN], roles=["reception"], full_name="Lê Thị Một Cửa")
    expert = staff.create_officer([KIEN_AN], roles=["specialist"], full_name="Đỗ Văn Chuyên")
    boss = staff.create_officer([KIEN_AN], roles=["leader"], full_name="Vũ Thị Lãnh Đạo")
    result = tmp_path / "quyet-dinh.pdf"
    result.write_bytes(result_pdf("GIẤY XÁC NHẬN", "Đăng ký tạm trú: đã đăng ký"))

    # The desk: "Việc của tôi" holds the dossier to receive; reception's actions only.
    reception = signed_in(new_page, sign_in, desk)
    open_tab(reception, "mine", code)
    expect(row_of(reception, code).get_by_test_id("step-state")).to_be_visible()
    axe(reception, "hàng đợi: việc của tôi (một cửa)")
    shot(reception, "onestop-01-desk-queue")
    row_of(reception, code).get_by_test_id("queue-link").click()
    expect(reception.locator("h1")).to_have_text(f"Hồ sơ {code}")
    expect(reception.get_by_test_id("step-text")).to_have_text("Bộ phận Một cửa")
    for name in ("accept", "refuse", "request-supplement", "transfer"):
        expect(reception.get_by_test_id(f"action-{name}")).to_be_visible()
    for name in ("propose", "approve", "return-result"):
        expect(reception.get_by_test_id(f"action-{name}")).to_have_count(0)
    # At the desk a supplement request is the completion request.
    expect(reception.get_by_test_id("action-request-supplement")).to_have_text("Yêu cầu hoàn thiện hồ sơ")
    papers = reception.get_by_test_id("papers")
    expect(papers.get_by_test_id("paper")).to_have_count(1)  # the control slip, from filing
    expect(papers.locator("[data-form='06']")).to_be_visible()

    # Accept and assign the specialist (the agency's staff list; the default is chosen first).
    act(reception, "accept")
    assignee = reception.get_by_test_id("action-assignee")
    expect(assignee.locator(f"option[value='{expert['id']}']")).to_have_count(1)
    assignee.select_option(value=expert["id"])
    reception.get_by_test_id("action-note").fill("Hồ sơ đầy đủ, hợp lệ.")
    axe(reception, "tiếp nhận và phân công")
    shot(reception, "onestop-02-desk-accept")
    reception.get_by_test_id("action-submit").click()
    expect(reception.get_by_test_id("action-done")).to_have_text("Đã tiếp nhận hồ sơ.")
    expect(reception.get_by_test_id("dossier-status")).to_have_text("Đã tiếp nhận")
    expect(reception.get_by_test_id("handler")).to_have_text("Đỗ Văn Chuyên")
    expect(reception.get_by_test_id("step-text")).to_have_text("Chuyên viên đang xử lý")
    expect(papers.locator("[data-form='01']")).to_be_visible()
    with reception.expect_download() as dl:
        papers.get_by_test_id("paper-01").click()
    assert dl.value.path().read_bytes().startswith(b"%PDF")
    expect(reception.get_by_test_id("action-accept")).to_have_count(0)

    # The specialist: the dossier is theirs; the proposal needs its outcome and a PDF.
    specialist = signed_in(new_page, sign_in, expert)
    open_tab(specialist, "mine", code)
    expect(row_of(specialist, code).get_by_test_id("queue-handler")).to_have_text("Đỗ Văn Chuyên")
    row_of(specialist, code).get_by_test_id("queue-link").click()
    expect(specialist.locator("h1")).to_have_text(f"Hồ sơ {code}")
    act(specialist, "propose")
    specialist.get_by_test_id("action-submit").click()
    problem = specialist.get_by_test_id("problem")
    expect(problem).to_contain_text("Vui lòng chọn kết quả đề xuất")
    expect(problem).to_contain_text("Vui lòng chọn tệp PDF")
    specialist.get_by_test_id("action-outcome-refuse").check()
    expect(specialist.get_by_test_id("action-reason")).to_be_visible()  # a refusal says why
    specialist.get_by_test_id("action-outcome-grant").check()
    expect(specialist.get_by_test_id("action-reason")).to_have_count(0)
    specialist.get_by_test_id("action-file").set_input_files(str(result))
    specialist.get_by_test_id("action-note").fill("Đủ điều kiện đăng ký tạm trú; trình lãnh đạo ký.")
    axe(specialist, "trình kết quả (chuyên viên)")
    shot(specialist, "onestop-03-specialist-propose")
    specialist.get_by_test_id("action-submit").click()
    expect(specialist.get_by_test_id("action-done")).to_have_text("Đã trình kết quả lên lãnh đạo.")
    expect(specialist.get_by_test_id("step-text")).to_have_text("Lãnh đạo đang xem xét, phê duyệt")
    expect(specialist.get_by_test_id("action-propose")).to_have_count(0)

    # The leader: the proposal to review, its draft file to read; a send-back needs its note.
    leader = signed_in(new_page, sign_in, boss)
    open_tab(leader, "mine", code)
    row_of(leader, code).get_by_test_id("queue-link").click()
    proposal = leader.get_by_test_id("proposal")
    expect(proposal.get_by_test_id("proposal-outcome")).to_have_text("Giải quyết")
    expect(proposal.get_by_test_id("proposal-by")).to_have_text("Đỗ Văn Chuyên")
    expect(proposal).to_contain_text("Đủ điều kiện đăng ký tạm trú")
    with leader.expect_download() as dl:
        proposal.get_by_test_id("proposed-download").click()
    assert dl.value.suggested_filename == result.name
    act(leader, "send-back")
    leader.get_by_test_id("action-submit").click()
    expect(leader.get_by_test_id("problem")).to_contain_text("Vui lòng ghi nội dung")
    leader.get_by_test_id("action-form").get_by_role("button", name="Hủy").click()
    act(leader, "approve")
    leader.get_by_test_id("action-note").fill("Đồng ý.")
    axe(leader, "phê duyệt (lãnh đạo)")
    shot(leader, "onestop-04-leader-review")
    leader.get_by_test_id("action-submit").click()
    expect(leader.get_by_test_id("action-done")).to_have_text("Đã phê duyệt, ký số kết quả.")
    expect(leader.get_by_test_id("dossier-status")).to_have_text("Đã xử lý xong")
    expect(leader.get_by_test_id("approved-by")).to_contain_text("Vũ Thị Lãnh Đạo")
    expect(leader.get_by_test_id("results").get_by_test_id("result-download")).to_have_count(1)

    # The desk returns the result.
    open_tab(reception, "mine", code)
    row_of(reception, code).get_by_test_id("queue-link").click()
    expect(reception.get_by_test_id("step-text")).to_have_text("Đã có kết quả, chờ trả")
    act(reception, "return-result")
    reception.get_by_test_id("action-submit").click()
    expect(reception.get_by_test_id("action-done")).to_have_text("Đã trả kết quả.")
    expect(reception.get_by_test_id("dossier-status")).to_have_text("Đã trả kết quả")
    shot(reception, "onestop-05-desk-returned")

    # The citizen: the signed result to download, the receipt among the papers, the history.
    page = new_page()
    sign_in(page, who.citizen_id, who.password)
    page.goto(f"/ho-so/{dossier_id}")
    expect(page.get_by_test_id("dossier-status")).to_have_text("Đã trả kết quả")
    expect(page.get_by_test_id("dossier-agency")).to_have_text("Công an phường Kiến An")
    with page.expect_download() as dl:
        page.get_by_test_id("results").get_by_test_id("download-file").click()
    assert dl.value.suggested_filename.endswith(".pdf")
    assert dl.value.path().read_bytes().startswith(b"%PDF")
    expect(page.get_by_test_id("receipt-download")).to_be_visible()
    # The receipt is the button above; of the papers, the control slip (no request, refusal, apology, stop).
    expect(page.get_by_test_id("paper")).to_have_count(1)
    with page.expect_download() as dl:
        page.get_by_test_id("paper-06").click()
    assert dl.value.path().read_bytes().startswith(b"%PDF")
    axe(page, "hồ sơ của tôi: đã trả kết quả")
    shot(page, "onestop-06-citizen-result")
    for p in (reception, specialist, leader, page):
        assert p.js_errors == []


def test_a_transfer_reaches_the_other_agencys_desk(
    new_page, staff, by_api, citizen_by_api, sample_files, sign_in, axe, shot
):
    who, dossier_id, code = filed(by_api, citizen_by_api, sample_files, KIEN_AN, "Hoàng Thị Chuyển", "0319")
    wrong = staff.create_officer([KIEN_AN], roles=["reception"], full_name="Lê Văn Sai Nơi")
    right = staff.create_officer([LE_CHAN], roles=["reception"], full_name="Ngô Thị Đúng Nơi")

    desk = signed_in(new_page, sign_in, wrong)
    desk.goto(f"/can-bo/ho-so/{dossier_id}")
    act(desk, "transfer")
    desk.get_by_test_id("action-submit").click()
    problem = desk.get_by_test_id("problem")
    expect(problem).to_contain_text("Vui lòng chọn cơ quan")
    expect(problem).to_contain_text("Vui lòng nêu lý do")
    agency = desk.get_by_test_id("action-agency")
    expect(agency.locator(f"option[value='{LE_CHAN}']")).to_have_count(1)
    expect(agency.locator(f"option[value='{KIEN_AN}']")).to_have_count(0)  # not to itself
    agency.select_option(value=LE_CHAN)
    desk.get_by_test_id("action-reason").fill(
        "Người nộp cư trú tại phường Lê Chân: chuyển đúng nơi tiếp nhận."
    )
    axe(desk, "chuyển cơ quan")
    shot(desk, "onestop-07-transfer")
    desk.get_by_test_id("action-submit").click()
    # The dossier is the other agency's now: back to the queue, with the message.
    expect(desk).to_have_url(re.compile(r"/can-bo$"))
    expect(desk.get_by_test_id("flash")).to_have_text("Đã chuyển hồ sơ sang cơ quan khác.")
    expect(row_of(desk, code)).to_have_count(0)

    # The receiving desk: in its own "Việc của tôi", with where it came from.
    other = signed_in(new_page, sign_in, right)
    open_tab(other, "mine", code)
    row_of(other, code).get_by_test_id("queue-link").click()
    expect(other.get_by_test_id("step-text")).to_have_text("Bộ phận Một cửa")
    transfer = other.get_by_test_id("transfer")
    expect(transfer).to_contain_text("Từ Công an phường Kiến An sang Công an phường Lê Chân")
    expect(transfer).to_contain_text("Người nộp cư trú tại phường Lê Chân")
    expect(other.get_by_test_id("action-accept")).to_be_visible()
    axe(other, "hồ sơ được chuyển đến")
    shot(other, "onestop-08-received")

    # The citizen sees where it is now.
    page = new_page()
    sign_in(page, who.citizen_id, who.password)
    page.goto(f"/ho-so/{dossier_id}")
    expect(page.get_by_test_id("dossier-agency")).to_have_text("Công an phường Lê Chân")
    expect(page.get_by_test_id("transfer")).to_contain_text(
        "Từ Công an phường Kiến An sang Công an phường Lê Chân"
    )
    axe(page, "hồ sơ của tôi: đã chuyển")
    shot(page, "onestop-09-citizen-transfer")
    for p in (desk, other, page):
        assert p.js_errors == []
