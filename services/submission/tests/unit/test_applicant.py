"""Step 1: the submitter (người nộp) and the dossier owner (chủ hồ sơ): what each field accepts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from dvckit.errors import Text
from submission.domain.applicant import Applicant, Person, Prefill, kinds_for

OK = {
    "full_name": "Ngô Văn Sáu",
    "citizen_id": "031099001234",
    "date_of_birth": "1980-02-29",
    "phone": "0912345678",
    "email": "sau.ngo@example.vn",
    "address": "Số 1 Điện Biên Phủ, Hải Phòng",
}


def person(**changes) -> Person:
    return Person.model_validate({**OK, **changes})


def refused(**changes) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        person(**changes)
    return caught.value.errors()


def reason(**changes) -> Text:
    """The one refusal's message in both languages (a field rule's :class:`Invalid`)."""
    (error,) = refused(**changes)
    assert error["type"] == "value_error"
    return error["ctx"]["error"].text


def test_a_complete_person_is_kept_normalised():
    p = person(
        full_name="  Nguye\u0302\u0303n   Thi\u0323  Lan ",
        citizen_id=" 031099001234 ",
        phone="+84 912-345-678",
        address="  Số 1   Điện Biên Phủ,\n Hải Phòng ",
    )
    assert p.model_dump() == {
        "kind": "individual",
        "full_name": "Nguyễn Thị Lan",
        "citizen_id": "031099001234",
        "date_of_birth": date(1980, 2, 29),
        "phone": "0912345678",
        "email": "sau.ngo@example.vn",
        "address": "Số 1 Điện Biên Phủ, Hải Phòng",
    }


def test_the_email_is_optional():
    assert person(email=None).email is None
    assert Person.model_validate({k: v for k, v in OK.items() if k != "email"}).email is None


# -- full name ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Lý", "A" * 100])
def test_a_full_name_has_2_to_100_characters(name):
    assert person(full_name=name).full_name == name


@pytest.mark.parametrize(
    ("name", "error"),
    [("A", "string_too_short"), (" A ", "string_too_short"), ("A" * 101, "string_too_long")],
)
def test_a_full_name_of_1_or_101_characters_is_refused_spaces_around_not_counted(name, error):
    assert [e["type"] for e in refused(full_name=name)] == [error]


def test_a_full_name_needs_a_letter():
    assert reason(full_name="12 34") == Text("Họ và tên không hợp lệ", "Invalid full name")


# -- citizen ID and phone ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["03109900123", "0310990012345", "03109900123x"])
def test_a_citizen_id_is_twelve_digits(value):
    assert reason(citizen_id=value) == Text(
        "Số định danh cá nhân phải gồm 12 chữ số", "A citizen ID has 12 digits"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0312345678", "0312345678"), ("84 912 345 678", "0912345678"), ("(+84) 386.123.456", "0386123456")],
)
def test_a_phone_is_a_vietnamese_mobile_stored_in_national_form(value, expected):
    assert person(phone=value).phone == expected


@pytest.mark.parametrize("value", ["0212345678", "091234567", "+1 912 345 678"])
def test_other_phone_numbers_are_refused(value):
    assert reason(phone=value) == Text(
        "Số điện thoại di động không hợp lệ", "Invalid Vietnamese mobile number"
    )


@pytest.mark.parametrize(("field", "digit"), [("citizen_id", "1"), ("phone", "0")])
def test_a_citizen_id_or_phone_field_longer_than_20_characters_is_refused_before_it_is_read(field, digit):
    assert [e["type"] for e in refused(**{field: digit * 21})] == ["string_too_long"]
    assert [e["type"] for e in refused(**{field: digit * 20})] == ["value_error"]


# -- date of birth -------------------------------------------------------------------------------------------


def test_a_date_of_birth_from_1900_up_to_yesterday_is_accepted():
    assert person(date_of_birth="1900-01-01").date_of_birth == date(1900, 1, 1)
    yesterday = date.today() - timedelta(days=1)
    assert person(date_of_birth=yesterday.isoformat()).date_of_birth == yesterday


@pytest.mark.parametrize("days", [0, 1])
def test_a_date_of_birth_today_or_later_is_refused(days):
    born = date.today() + timedelta(days=days)
    assert reason(date_of_birth=born.isoformat()) == Text(
        "Ngày sinh phải ở trong quá khứ", "The date of birth must be in the past"
    )


def test_a_date_of_birth_before_1900_is_implausible():
    assert reason(date_of_birth="1899-12-31") == Text("Ngày sinh không hợp lệ", "Implausible date of birth")


# -- email and address -------------------------------------------------------------------------------------


def email_of(length: int) -> str:
    """A well-formed address of ``length`` characters (labels of at most 63)."""
    return "a" * 64 + "@" + "b" * 61 + "." + "c" * 61 + "." + "d" * (length - 192) + ".vn"


def test_an_email_must_be_an_address_of_at_most_254_characters():
    assert refused(email="not-an-address")[0]["type"] == "value_error"
    assert person(email=email_of(254)).email == email_of(254)
    assert refused(email=email_of(255))[0]["type"] == "value_error"


@pytest.mark.parametrize("address", ["Xã A", " Xã A  "])
def test_an_address_of_fewer_than_5_characters_is_refused(address):
    assert [e["type"] for e in refused(address=address)] == ["string_too_short"]


def test_an_address_has_5_to_300_characters():
    assert person(address="Xã An").address == "Xã An"
    assert person(address="x" * 300).address == "x" * 300
    assert [e["type"] for e in refused(address="x" * 301)] == ["string_too_long"]


def test_an_unknown_field_is_refused():
    assert [e["type"] for e in refused(nickname="Sáu")] == ["extra_forbidden"]


# -- the applicant ---------------------------------------------------------------------------------------


def test_the_owner_is_optional_and_validated_like_the_submitter():
    a = Applicant.model_validate({"submitter": OK})
    assert a.owner is None and a.submitter.full_name == "Ngô Văn Sáu"
    b = Applicant.model_validate({"submitter": OK, "owner": {**OK, "full_name": "Ngô Thị Bảy"}})
    assert b.owner is not None and b.owner.full_name == "Ngô Thị Bảy"
    with pytest.raises(ValidationError):
        Applicant.model_validate({"submitter": OK, "owner": {**OK, "citizen_id": "123"}})


def test_an_applicant_has_only_a_submitter_and_an_owner():
    with pytest.raises(ValidationError):
        Applicant.model_validate({"submitter": OK, "representative": OK})
    with pytest.raises(ValidationError):
        Applicant.model_validate({})


def test_the_prefill_offers_what_the_account_knows_and_nothing_else_is_needed():
    assert Prefill().model_dump() == {
        "full_name": None,
        "citizen_id": None,
        "phone": None,
        "email": None,
        "date_of_birth": None,
        "address": None,
        "identity_level": 0,
    }
    assert Prefill(full_name="Lý Thị Hoa", phone="0912345678").phone == "0912345678"
    # Only a verified account's citizen ID binds step 1's submitter.
    assert Prefill(citizen_id="031190000001").verified_id is None
    assert Prefill(citizen_id="031190000001", identity_level=1).verified_id == "031190000001"


FOREIGNER = {
    "kind": "foreigner",
    "full_name": "Kim Min-jun",
    "passport_no": "m12345678",
    "nationality": "kr",
    "date_of_birth": "1990-05-01",
    "phone": "+82 10 1234 5678",
    "address": "Số 5 Lê Hồng Phong, Hải Phòng",
}
BUSINESS = {
    "kind": "business",
    "name": "Công ty TNHH Cảng Xanh",
    "tax_code": "0201234567",
    "representative": {"full_name": "Ngô Văn Sáu", "position": "Giám đốc", "citizen_id": "031099001234"},
    "phone": "0225 3842 111",
    "address": "Số 2 Lạch Tray, Hải Phòng",
}


def test_a_foreigner_files_with_passport_and_nationality():
    a = Applicant.model_validate({"submitter": FOREIGNER})
    assert (a.submitter.passport_no, a.submitter.nationality, a.submitter.phone) == (
        "M12345678",
        "KR",
        "+821012345678",
    )
    assert a.party is a.submitter and not a.on_behalf
    bad_ones = ({"nationality": "VN"}, {"nationality": "Korea"}, {"nationality": "XX"}, {"passport_no": "12"})
    for bad in (*bad_ones, {"phone": "12345"}):
        with pytest.raises(ValidationError):
            Applicant.model_validate({"submitter": FOREIGNER | bad})
    # A foreigner has no personal ID number field; a Vietnamese individual no passport field.
    with pytest.raises(ValidationError):
        Applicant.model_validate({"submitter": FOREIGNER | {"citizen_id": "031099001234"}})


def test_a_business_is_an_owner_filed_by_a_person_and_its_representative_needs_no_authorisation():
    a = Applicant.model_validate({"submitter": OK, "owner": BUSINESS})
    assert a.party.phone == "02253842111"  # an office's landline
    assert a.party.kind == "business" and a.party.full_name == "Công ty TNHH Cảng Xanh"
    assert not a.on_behalf  # the submitter is the legal representative
    clerk = {**OK, "citizen_id": "031099009999"}
    assert Applicant.model_validate(
        {"submitter": clerk, "owner": BUSINESS | {"phone": "0912345678"}}
    ).on_behalf
    # An organisation files through a person: never the submitter itself.
    with pytest.raises(ValidationError):
        Applicant.model_validate({"submitter": BUSINESS})
    for bad in (
        {"tax_code": "12345"},
        {"tax_code": "0201234567-1"},
        {"representative": {"full_name": "Ngô Văn Sáu", "position": "Giám đốc"}},  # no ID at all
        {"kind": "shop"},
        {"phone": "0225 384"},
    ):
        with pytest.raises(ValidationError):
            Applicant.model_validate({"submitter": OK, "owner": BUSINESS | bad})
    branch = BUSINESS | {"tax_code": "0201234567-001"}
    assert Applicant.model_validate({"submitter": OK, "owner": branch}).party.id_number == "0201234567-001"


def test_filing_for_another_person_is_on_behalf():
    other = {**OK, "citizen_id": "031099005555", "full_name": "Ngô Thị Bảy"}
    assert Applicant.model_validate({"submitter": OK, "owner": other}).on_behalf
    assert not Applicant.model_validate({"submitter": OK, "owner": OK}).on_behalf


@pytest.mark.parametrize(
    ("audience", "audiences", "kinds"),
    [
        ("Công dân Việt Nam", [], ["individual"]),
        ("Doanh nghiệp", [], ["business"]),
        ("Tổ chức (không bao gồm doanh nghiệp, HTX)", [], ["organization"]),
        ("Tổ chức (không bao gồm doanh nghiệp, HTX), Doanh nghiệp", [], ["business", "organization"]),
        ("Công dân Việt Nam, Người nước ngoài", [], ["individual", "foreigner"]),
        ("Hợp tác xã", [], ["business"]),
        ("Tổ chức nước ngoài", [], ["organization"]),
        ("Doanh nghiệp có vốn đầu tư nước ngoài, Doanh nghiệp", [], ["business"]),
        ("Người Việt Nam định cư ở nước ngoài", [], ["individual", "foreigner"]),
        (None, ["business"], ["business", "organization"]),
        (None, ["citizen"], ["individual", "foreigner"]),
        (None, [], ["individual", "foreigner", "business", "organization"]),
    ],
)
def test_who_may_own_a_dossier_comes_from_the_procedures_audience(audience, audiences, kinds):
    assert kinds_for(audience, audiences) == kinds
