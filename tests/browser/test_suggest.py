"""The search box suggests procedure names as they are typed (issue 17): a WAI-ARIA combobox with a
listbox, driven with the keyboard and the mouse, on a desktop and on a phone, and axe finds nothing."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect


def suggest_requests(page: Page) -> list[str]:
    """The texts the page asks GET /catalog/suggest for, as it asks."""
    asked: list[str] = []

    def seen(request) -> None:
        url = urlsplit(request.url)
        if url.path == "/api/v1/catalog/suggest":
            asked.append(parse_qs(url.query)["q"][0])

    page.on("request", seen)
    return asked


def test_suggestions_with_the_keyboard(new_page, axe):
    page = new_page()
    asked = suggest_requests(page)
    page.goto("/")
    box = page.get_by_test_id("search-input")
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_attribute("aria-controls", "search-suggestions")

    box.press_sequentially("dang ky t", delay=30)
    options = page.get_by_test_id("suggest-option")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(options.first).to_have_attribute("data-code", "1.004194")
    expect(options.first).to_contain_text("Đăng ký tạm trú")
    expect(page.get_by_test_id("suggest-list")).to_have_attribute("role", "listbox")
    # Said politely, once the list is there.
    expect(page.get_by_test_id("live-region")).to_contain_text(re.compile(r"\d+ gợi ý"))
    # Typing faster than the pause asks for what is in the box, not for every key.
    assert asked and asked[-1] == "dang ky t" and len(asked) <= 3, asked
    axe(page, "gợi ý khi gõ")

    # Arrow keys move (the focus stays in the box), Escape closes and keeps the text.
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "search-suggestion-0")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "search-suggestion-1")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    box.press("ArrowUp")
    expect(box).to_have_attribute("aria-activedescendant", "search-suggestion-0")
    expect(box).to_be_focused()
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    expect(page.get_by_test_id("suggest-list")).to_be_hidden()
    expect(box).to_have_value("dang ky t")

    # Down opens it again; Enter opens the chosen procedure.
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "search-suggestion-1")
    second = options.nth(1).get_attribute("data-code")
    name = options.nth(1).locator(".suggest-name").inner_text()
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/thu-tuc/{re.escape(second or '')}$"))
    expect(page.locator("h1")).to_have_text(name)

    # Enter with nothing chosen still searches.
    page.goto("/")
    box.press_sequentially("tạm tr", delay=30)
    expect(options.first).to_be_visible()
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/tim-kiem\?q=t%E1%BA%A1m\+tr$"))
    assert not page.js_errors, page.js_errors


def test_suggestions_with_the_mouse_on_a_phone(new_page, axe):
    page = new_page(width=390, height=844, mobile=True)
    page.goto("/")
    box = page.get_by_test_id("search-input")
    box.fill("hộ chi")
    option = page.get_by_test_id("suggest-option").first
    expect(option).to_have_attribute("data-code", "1.001456")
    # Under the box, the search button pushed down rather than covered.
    list_box = page.get_by_test_id("suggest-list").bounding_box()
    button = page.get_by_test_id("search-submit").bounding_box()
    assert list_box and button and button["y"] >= list_box["y"] + list_box["height"]
    axe(page, "gợi ý khi gõ (điện thoại)")
    option.click()
    expect(page).to_have_url(re.compile(r"/thu-tuc/1\.001456$"))
    expect(page.locator("h1")).to_contain_text("Cấp hộ chiếu phổ thông")
    assert not page.js_errors, page.js_errors
