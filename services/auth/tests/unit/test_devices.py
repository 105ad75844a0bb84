"""How a sign-in's device and place read (domain.devices): from real User-Agents and addresses."""

from __future__ import annotations

import pytest

from auth.domain.devices import UA_MAX, clean_ua, device, place

CASES = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        "Chrome 131 trên Windows 10",
        "Chrome 131 on Windows 10",
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36",
        "Chrome 131 trên Android 14",
        "Chrome 131 on Android 14",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1",
        "Safari 17 trên iOS 17.5",
        "Safari 17 on iOS 17.5",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.6 Safari/605.1.15",
        "Safari 17 trên macOS 14",
        "Safari 17 on macOS 14",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 Safari/537.36 CocCoc/130.0",
        None,  # whichever the rules say, it reads as a browser on Windows
        None,
    ),
    (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Firefox 133 trên Ubuntu",
        None,
    ),
    ("python-httpx/0.28.1", "python-httpx 0.28.1", "python-httpx 0.28.1"),  # a programme names itself
    ("", "Thiết bị không rõ", "Unknown device"),
]


@pytest.mark.parametrize(("ua", "vi", "en"), CASES)
def test_a_user_agent_reads_as_a_browser_on_a_system(ua, vi, en):
    d = device(ua)
    if vi is not None:
        assert d.text("vi") == vi
    else:
        assert d.text("vi").endswith("trên Windows 10")
    if en is not None:
        assert d.text("en") == en


def test_a_hostile_user_agent_is_cut_and_cleaned():
    ua = "A" * 10_000 + "\x00\x1b[2J\n"
    kept = clean_ua(ua)
    assert len(kept) == UA_MAX and kept.isprintable()
    assert device(ua).text("vi")  # parsed within the cap, whatever it says


@pytest.mark.parametrize(
    ("ip", "vi", "en"),
    [
        ("14.160.32.10", "Việt Nam", "Vietnam"),
        ("2001:ee0:4000::1", "Việt Nam", "Vietnam"),
        ("8.8.8.8", "Hoa Kỳ", "United States"),
        ("1.0.16.1", "Nhật Bản", "Japan"),
        ("127.0.0.1", None, None),
        ("10.1.2.3", None, None),
        ("192.168.1.5", None, None),
        ("::1", None, None),
        ("unknown", None, None),
        ("", None, None),
    ],
)
def test_an_address_is_placed_in_its_country_offline(ip, vi, en):
    assert place(ip, "vi") == vi
    assert place(ip, "en") == en
