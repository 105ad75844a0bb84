"""Where each procedure is filed: real codes of the seed, one row each (docs/agencies.md)."""

from __future__ import annotations

from functools import cache

import pytest

from catalog.adapters import data_files
from catalog.config import DEFAULT_SEED
from catalog.domain.model import Procedure
from catalog.domain.routing import words
from catalog.service.view import public_detail, read_seed

UBND, CA = "people_committee", "police"
CENTRE, JUSTICE, BUILD, FIN, AGRI = (
    "000.00.01.H26",
    "000.00.13.H26",
    "000.00.09.H26",
    "000.00.07.H26",
    "000.00.11.H26",
)
HEALTH, TRADE, CULTURE, EDU, HOME = (
    "000.00.16.H26",
    "000.00.10.H26",
    "000.00.17.H26",
    "000.00.15.H26",
    "000.00.14.H26",
)
POLICE, SCIENCE, INSPECT, ZONE = "000.00.19.H26", "000.00.04.H26", "000.00.03.H26", "000.00.20.H26"
BHXH, TAX, TREASURY, CUSTOMS = "000.31.00.G22", "000.31.01.G12", "000.31.02.G12", "000.31.03.G12"
SBV, VBSP, PORT, THADS = "000.31.00.G36", "000.31.00.G37", "000.31.04.G09", "000.31.05.G08"

# code: (level, receivers or the commune body, fileable here)
TABLE: dict[str, tuple[str, object, bool]] = {
    # commune: the people's committee
    "1.001193": ("commune", UBND, True),  # đăng ký khai sinh
    "1.000894": ("commune", UBND, True),  # đăng ký kết hôn
    "1.004873": ("commune", UBND, True),  # xác nhận tình trạng hôn nhân
    "1.005280": ("commune", UBND, True),  # đăng ký thành lập hợp tác xã
    "1.001612": ("commune", UBND, True),  # hộ kinh doanh: Phòng Tài chính - Kế hoạch (district) → commune
    "2.000720": ("commune", UBND, True),
    "1.001266": ("commune", UBND, True),
    "1.012922": ("commune", UBND, True),  # lâm nghiệp cấp huyện → commune (levels)
    "1.001645": ("commune", UBND, True),  # Phòng Tài nguyên Môi trường (district) → commune
    "2.000635": ("commune", UBND, True),  # bản sao trích lục hộ tịch (field)
    "2.000908": ("commune", UBND, True),  # bản sao từ sổ gốc (field)
    "2.000815": ("commune", UBND, True),  # chứng thực: a notary or embassy also may, the commune receives
    "2.000986": ("commune", UBND, True),  # liên thông khai sinh (field Hộ tịch), not BHXH Việt Nam
    "1.014034": ("commune", UBND, True),  # no agency, levels central + commune
    # commune: the police
    "1.004194": ("commune", CA, True),  # đăng ký tạm trú
    "1.004222": ("commune", CA, True),  # đăng ký thường trú
    "1.010041": ("commune", CA, True),  # xác nhận thông tin về cư trú
    "1.003181": ("commune", CA, True),  # Công an huyện (district) → commune police
    "1.003387": ("commune", CA, True),
    "1.004338": ("commune", CA, True),
    # city departments
    "2.000822": ("city", [JUSTICE], True),  # trung tâm trọng tài
    "1.002153": ("city", [JUSTICE], True),  # hành nghề luật sư
    "1.004878": ("city", [JUSTICE], True),  # nuôi con nuôi có yếu tố nước ngoài
    "1.000703": ("city", [BUILD], True),  # giấy phép kinh doanh vận tải
    "1.003135": ("city", [BUILD], True),
    "1.003930": ("city", [BUILD], True),  # Sở Xây dựng first, then the commune
    "2.002023": ("city", [FIN], True),  # giải thể doanh nghiệp
    "2.001610": ("city", [FIN], True),  # thành lập doanh nghiệp tư nhân
    "2.002029": ("city", [FIN], True),
    "1.011443": ("city", [AGRI], True),  # Văn phòng Đăng ký đất đai
    "1.000082": ("city", [AGRI], True),  # the ministry's department and Sở NN&MT: the city
    "1.012789": ("city", [AGRI], True),
    "1.012289": ("city", [HEALTH], True),
    "1.012292": ("city", [HEALTH], True),
    "2.000260": ("city", [TRADE], True),
    "1.001380": ("city", [TRADE, ZONE], True),
    "1.003725": ("city", [CULTURE], True),
    "1.004628": ("city", [CULTURE], True),  # Sở Du lịch merged into Sở VHTTDL
    "1.000953": ("city", [CULTURE], True),  # cơ quan chuyên môn về thể dục, thể thao
    "1.005142": ("city", [EDU], True),
    "1.004988": ("city", [EDU], True),
    "1.001978": ("city", [HOME], True),  # trợ cấp thất nghiệp: Trung tâm Dịch vụ việc làm
    "2.001259": ("city", [SCIENCE], True),
    "1.003659": ("city", [SCIENCE], True),  # Sở Thông tin và Truyền thông merged into Sở KH&CN
    "2.002407": ("city", [INSPECT], True),
    "1.009664": ("city", [ZONE], True),
    "1.009645": ("city", [ZONE, FIN], True),
    "1.001456": ("city", [POLICE], True),  # hộ chiếu cấp tỉnh
    "2.001195": ("city", [POLICE], True),  # căn cước cấp tỉnh
    "1.012575": ("city", [POLICE], True),  # đăng ký xe: Công an tỉnh first
    "2.001130": ("city", [CENTRE], True),  # Chủ tịch UBND cấp tỉnh: the city centre receives
    "1.007927": ("city", [CENTRE], True),
    "1.000305": ("city", [CENTRE], True),  # unknown agency, city level: the centre forwards it
    # vertical offices in the city
    "1.002759": ("city", [BHXH], True),  # BHXH cấp huyện is social insurance, not a district body
    "1.002051": ("city", [BHXH], True),
    "1.001939": ("city", [BHXH], True),
    "1.008309": ("city", [TAX], True),
    "1.010244": ("city", [TAX], True),
    "2.002235": ("city", [TAX], True),
    "3.000121": ("city", [TREASURY], True),
    "1.005458": ("city", [CUSTOMS], True),
    "1.007640": ("city", [CUSTOMS], True),
    "1.000972": ("city", [SBV], True),
    "1.000586": ("city", [SBV], True),
    "1.011547": ("city", [VBSP], True),
    "1.002788": ("city", [PORT], True),
    "1.002223": ("city", [THADS], True),
    "1.002270": ("city", [THADS], True),
    # central: not here
    "1.001471": ("central", [], False),  # hộ chiếu cấp trung ương
    "1.000466": ("central", [], False),
    "1.007689": ("central", [], False),  # Cục Thuế only
    "1.007673": ("central", [], False),
    "3.000001": ("central", [], False),  # Tập đoàn Điện lực
    "1.007959": ("central", [], False),  # no agency, no level
    # another province's procedure
    "2.000521": ("city", [], False),
    "2.000006": ("city", [], False),
}


@cache
def seed() -> dict[str, Procedure]:
    return {p.code: p for p in read_seed(DEFAULT_SEED)}


def test_the_table_is_big_enough():
    assert len(TABLE) >= 60


@pytest.mark.parametrize("code", sorted(TABLE))
def test_routing(code):
    level, where, fileable = TABLE[code]
    r = data_files.rules().route(seed()[code])
    assert (r.level, r.fileable_here) == (level, fileable), r
    if isinstance(where, str):
        assert (r.commune_body, r.receivers) == (where, [])
    else:
        assert (r.commune_body, r.receivers) == (None, where)
    assert (r.file_at is None) is fileable


def test_what_is_published_says_where_to_file_and_is_not_fileable_when_central():
    body = public_detail(seed()["1.001471"])
    assert body["online_level"] != "none" and body["fileable"] is False
    assert (
        body["routing"]["fileable_here"] is False
        and "Cục Quản lý xuất nhập cảnh" in body["routing"]["file_at"]["vi"]
    )
    assert public_detail(seed()["1.004194"])["fileable"] is True


def test_certification_is_received_anywhere_and_birth_registration_is_not():
    assert data_files.rules().route(seed()["2.000815"]).anywhere is True
    assert data_files.rules().route(seed()["1.001193"]).anywhere is False


def test_phrases_are_whole_words_not_substrings():
    rules = data_files.rules()
    assert rules.for_agency("Bảo hiểm xã hội cấp huyện").rule == "social-insurance"
    assert rules.for_agency("Ủy ban nhân dân cấp huyện").rule == "district-to-commune"
    assert rules.for_agency("Chủ tịch UBND cấp xã").rule == "commune-committee"  # UBND read whole
    assert rules.for_agency("Sở Tư pháp Thành phố Hà Nội").rule == "elsewhere"
    assert rules.for_agency("Bộ phận kế toán") is None  # an internal unit, not the ministry "^bo"
    assert words("Công an  cấp Xã") == ("cong", "an", "cap", "xa")


def test_no_central_level_procedure_falls_back_to_the_city_centre():
    for p in seed().values():
        r = data_files.rules().route(p)
        if p.levels == ["central"] and r.fileable_here:
            assert r.rule not in ("levels-city", "no-level"), p.code


def test_every_receiver_is_in_the_directory_and_none_is_a_district_body():
    directory = {a.code: a for a in data_files.seed()}
    for code in data_files.rules().receivers():
        assert code in directory and directory[code].level in ("city", "central"), code
    for p in seed().values():
        for code in data_files.rules().route(p).receivers:
            assert directory[code].level != "commune", p.code
