"""Organisation accounts in a browser: a resident verified through VNeID (the development provider)
registers their company on the account page, files a draft for it, and finds it among the company's
dossiers through the switcher on "Hồ sơ của tôi" and on the organisation's page, with its members."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from devstack import client

from .test_vneid import provider_url

WARD = "Công an phường Lê Chân"


def test_a_verified_representative_registers_the_company_and_files_for_it(
    new_page, portal, citizen_by_api, sign_in, axe, shot
):
    me = citizen_by_api("Vũ Văn Doanh", id_prefix="0317")
    with httpx.Client(base_url=portal, timeout=60) as http:
        client.vneid_verify(
            http, provider_url(portal), citizen_id=me.citizen_id, full_name=me.full_name, password=me.password
        )
    page: Page = new_page()
    sign_in(page, me.citizen_id, me.password)

    # The account page: no organisation yet; the form names the verified person as legal representative.
    page.goto("/tai-khoan")
    card = page.get_by_test_id("account-organisations")
    expect(card.get_by_test_id("org-none")).to_be_visible()
    expect(card).to_contain_text(
        f"Người đại diện theo pháp luật: Vũ Văn Doanh (số định danh {me.citizen_id})"
    )
    page.get_by_test_id("org-submit").click()  # empty: each field says what is missing
    expect(page.get_by_test_id("problem")).to_contain_text("Mã số gồm 10 chữ số")
    tax_code = f"02{uuid.uuid4().int % 10**8:08d}"
    page.get_by_test_id("org-tax-code").fill(tax_code)
    page.get_by_test_id("org-name").fill("Công ty TNHH Cơ khí Doanh Phát")
    page.get_by_test_id("org-address").fill("Số 18 Lê Lợi, phường Gia Viên, Hải Phòng")
    axe(page, "đăng ký tổ chức")
    shot(page, "org-01-register")
    page.get_by_test_id("org-submit").click()

    # The organisation's page: its details, the representative among its members, no dossiers yet.
    expect(page).to_have_url(re.compile(r"/to-chuc/[0-9a-f-]{36}$"))
    org_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("h1")).to_have_text("Công ty TNHH Cơ khí Doanh Phát")
    expect(page.get_by_test_id("org-facts")).to_contain_text(tax_code)
    expect(page.get_by_test_id("org-facts")).to_contain_text("Người đại diện")
    expect(page.get_by_test_id("org-member-row")).to_have_count(1)
    expect(page.get_by_test_id("org-dossiers-empty")).to_be_visible()
    axe(page, "trang tổ chức")

    # Step 1 for the company: it is chosen as whom the dossier is for; no owner is typed.
    page.goto("/nop-truc-tuyen/1.004194")
    page.get_by_test_id("file-for").select_option(value=org_id)
    expect(page.get_by_test_id("has-owner")).to_have_count(0)
    page.get_by_test_id("agency-select").select_option(label=WARD)
    page.get_by_test_id("submitter-dob").fill("15/04/1980")
    page.get_by_test_id("submitter-address").fill("Số 18 Lê Lợi, phường Gia Viên, Hải Phòng")
    axe(page, "bước 1 cho tổ chức")
    page.get_by_test_id("step1-next").click()
    expect(page).to_have_url(re.compile(r"/ho-so/[0-9a-f-]{36}\?buoc=2$"))
    dossier_id = re.search(r"/ho-so/([0-9a-f-]{36})", page.url).group(1)

    # "Hồ sơ của tôi": not among the person's own; the switcher shows the company's, the draft in it.
    page.goto("/ho-so")
    expect(page.get_by_test_id("org-switch")).to_be_visible()
    expect(page.locator(f"[data-testid=my-dossier-row][data-id='{dossier_id}']")).to_have_count(0)
    page.get_by_test_id("org-switch-select").select_option(value=org_id)
    expect(page).to_have_url(re.compile(rf"to-chuc={org_id}"))
    expect(page.locator(f"[data-testid=my-dossier-row][data-id='{dossier_id}']")).to_be_visible()
    axe(page, "hồ sơ của tổ chức")
    shot(page, "org-02-dossiers")
    page.goto(f"/to-chuc/{org_id}")
    expect(page.locator(f"[data-testid=org-dossier-row][data-id='{dossier_id}']")).to_be_visible()
    shot(page, "org-03-organisation")
    page.goto(f"/ho-so/{dossier_id}?buoc=1")
    expect(page.get_by_test_id("owner-organisation")).to_contain_text(tax_code)
