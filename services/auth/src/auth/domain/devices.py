"""What a person is shown about a sign-in: the device (from the User-Agent its browser sent) and the
country of its address. Pure: the parsing rules (uap-core, in ua-parser-builtins) and the address
allocations (the five Regional Internet Registries', in iptocc) ship inside the packages, so nothing
here reads a file or the network.

A place is a country, not a city: the only maintained offline data on PyPI and Debian is per country
(a city needs MaxMind's GeoLite2, licensed and downloaded: not installable here). docs/auth.md says so.
"""

from __future__ import annotations

import gettext
import ipaddress
from dataclasses import dataclass
from functools import lru_cache

import pycountry
from iptocc import country_code
from ua_parser import parse

# A User-Agent longer than this is cut before it is stored or parsed (real ones are ~100-300 characters;
# the cap bounds what a hostile client makes the regular expressions read).
UA_MAX = 512

# The names iso-codes gives in Vietnamese are old or unofficial for some of the countries people sign
# in from most; these are the forms Vietnamese administrations write.
VI_NAMES = {
    "VN": "Việt Nam",
    "US": "Hoa Kỳ",
    "KR": "Hàn Quốc",
    "KP": "Triều Tiên",
    "JP": "Nhật Bản",
    "TW": "Đài Loan (Trung Quốc)",
    "LA": "Lào",
    "KH": "Campuchia",
    "TH": "Thái Lan",
    "GB": "Vương quốc Anh",
    "RU": "Nga",
    "DE": "Đức",
    "FR": "Pháp",
    "AU": "Úc",
    "SG": "Singapore",
    "MY": "Malaysia",
}
# Browser families as uap-core names them, shortened to what people call them.
BROWSERS = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "WebView",
    "HeadlessChrome": "Chrome",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Samsung Internet": "Samsung Internet",
    "Coc Coc": "Cốc Cốc",
}
OS_NAMES = {"Mac OS X": "macOS"}


@dataclass(frozen=True)
class Device:
    browser: str | None  # "Chrome 131"
    os: str | None  # "Windows 10", "Android 14", "iOS 17.5"

    def text(self, lang: str) -> str:
        """ "Chrome 131 trên Windows 10"; what is known when only part is; a plain "unknown" otherwise."""
        if self.browser and self.os:
            return f"{self.browser} {'on' if lang == 'en' else 'trên'} {self.os}"
        if self.browser or self.os:
            return self.browser or self.os or ""
        return "Unknown device" if lang == "en" else "Thiết bị không rõ"


def clean_ua(value: str | None) -> str:
    """The User-Agent as it is kept: printable characters only, at most UA_MAX of them."""
    return "".join(c for c in (value or "")[:UA_MAX] if c.isprintable())


@lru_cache(maxsize=1024)
def device(ua: str) -> Device:
    """The browser and system a User-Agent names (most people's few browsers: cached)."""
    if not ua:
        return Device(None, None)
    found = parse(clean_ua(ua))
    browser = None
    if found.user_agent is not None:
        name = BROWSERS.get(found.user_agent.family, found.user_agent.family)
        browser = f"{name} {found.user_agent.major}" if found.user_agent.major else name
    system = None
    if found.os is not None and found.os.family != "Other":
        name = OS_NAMES.get(found.os.family, found.os.family)
        # Windows's version is its name ("10"); iOS and Android people know by major.minor or major.
        version = (
            ".".join(v for v in (found.os.major, found.os.minor) if v) if name == "iOS" else found.os.major
        )
        system = f"{name} {version}" if version else name
    if browser is None and system is None:
        # Not a browser the rules know (a programme, an app): its own first word says more than nothing.
        product = ua.split(" ", 1)[0][:40].replace("/", " ").strip()
        return Device(product or None, None)
    return Device(browser, system)


def app_device(app: dict[str, str], ua: str, lang: str) -> str:
    """A session of one of our apps (OAuth sign-in): named after the app, with the system when its
    User-Agent says ("Ứng dụng DVC Hải Phòng trên Android 14")."""
    name = (app.get("name_en") or app.get("name", "")) if lang == "en" else app.get("name", "")
    label = f"{'App' if lang == 'en' else 'Ứng dụng'} {name or app.get('client_id', '')}"
    system = device(ua).os if ua else None
    return f"{label} {'on' if lang == 'en' else 'trên'} {system}" if system else label


@lru_cache(maxsize=4096)
def place(ip: str, lang: str) -> str | None:
    """The country an address is allocated to, in ``lang``; None for a private, local or unknown one."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if not address.is_global:
        return None
    code = country_code(str(address))
    if not code:
        return None
    return country_name(code, lang)


def country_name(code: str, lang: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    if lang == "en":
        return getattr(country, "common_name", None) or country.name
    return VI_NAMES.get(code) or _vi().gettext(country.name)


@lru_cache(maxsize=1)
def _vi() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["vi"], fallback=True)
