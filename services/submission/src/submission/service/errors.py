"""Every problem the dossier use cases answer with, in one place (codes are part of the API)."""

from __future__ import annotations

from dvckit.errors import Problem, Text

NOT_FOUND = Problem(404, "dossier-not-found", Text("Không tìm thấy hồ sơ", "No such dossier"))
NOT_DRAFT = Problem(
    409, "not-a-draft", Text("Hồ sơ đã nộp, không thể sửa", "The dossier was submitted already")
)


def storage_down(vi: str, en: str) -> Problem:
    return Problem(
        503,
        "storage-unavailable",
        Text(
            f"Kho lưu trữ tệp tạm thời gián đoạn, vui lòng {vi}", f"File storage is unavailable; please {en}"
        ),
        headers={"Retry-After": "5"},
    )


NO_FILE = Problem(422, "file-required", Text("Chưa chọn tệp", "No file was sent"))
ONE_FILE = Problem(
    422, "one-file", Text("Mỗi lần gửi một tệp ở trường 'file'", "Send one file, in the field 'file'")
)
CHANGED = Problem(
    409,
    "dossier-changed",
    Text(
        "Hồ sơ đã thay đổi trong lúc xử lý yêu cầu, vui lòng tải lại và thử lại",
        "The dossier changed meanwhile; reload it and try again",
    ),
)
CHANGED_DURING_UPLOAD = Problem(
    409,
    "dossier-changed",
    Text(
        "Hồ sơ đã thay đổi trong lúc tải tệp, vui lòng thử lại",
        "The dossier changed during the upload; try again",
    ),
)
FILED = Problem(
    409,
    "file-filed",
    Text(
        "Tệp đã nộp không thể xóa. Khi bổ sung hồ sơ chỉ được thêm tệp, hoặc thay tệp của thành phần "
        "cán bộ yêu cầu thay",
        "A filed file cannot be removed. A supplement may add files, or replace the files of the "
        "components the officer named",
    ),
)
EMPTY = Problem(422, "file-empty", Text("Tệp rỗng", "The file is empty"))
NOT_ONLINE = Problem(
    409,
    "not-fileable-online",
    Text("Thủ tục này chưa cho phép nộp hồ sơ trực tuyến", "This procedure cannot be filed online"),
)
DAY_FULL = Problem(
    503,
    "daily-sequence-exhausted",
    Text("Cơ quan đã nhận đủ số hồ sơ tối đa trong ngày", "The agency's daily dossier numbers are used up"),
)
CHANGED_WHILE_SUBMITTING = Problem(
    409,
    "dossier-changed",
    Text(
        "Hồ sơ liên tục thay đổi trong lúc nộp, vui lòng tải lại và nộp lại",
        "The dossier kept changing while it was being submitted; reload it and submit again",
    ),
)
NOT_TRACKED = Problem(
    404,
    "dossier-not-found",
    Text("Không tìm thấy hồ sơ với mã và thông tin đã nhập", "No dossier with this code and identifier"),
)
CONFLICT = Problem(
    409,
    "conflict",
    Text("Hồ sơ vừa được người khác xử lý; vui lòng tải lại", "Someone else changed this dossier; reload it"),
)
OFFICERS_ONLY = Problem(
    403, "forbidden", Text("Chỉ cán bộ mới thực hiện được thao tác này", "Only an officer can do this")
)
NOT_A_SPECIALIST = Problem(
    422,
    "not-a-specialist",
    Text(
        "Người được giao không phải chuyên viên của cơ quan đang giữ hồ sơ",
        "The assignee is not a specialist of the agency holding the dossier",
    ),
)
ASSIGNEE_REQUIRED = Problem(
    422,
    "assignee-required",
    Text(
        "Cần chọn chuyên viên xử lý (cơ quan chưa có chuyên viên mặc định)",
        "Choose the specialist who handles it (the agency has no default specialist)",
    ),
    extra={"errors": [{"field": "assignee", "message": "Cần chọn chuyên viên xử lý"}]},
)
UNKNOWN_AGENCY = Problem(
    422,
    "unknown-agency",
    Text("Không có cơ quan này trong hệ thống", "No such agency in the system"),
    extra={"errors": [{"field": "agency", "message": "Không có cơ quan này trong hệ thống"}]},
)
# Separation of duties: whoever filed a dossier cannot also decide it, whatever roles their account has.
OWN_DOSSIER = Problem(
    403,
    "own-dossier",
    Text(
        "Cán bộ không được xử lý hồ sơ do chính mình nộp hoặc đứng tên",
        "An officer may not act on a dossier they own or submitted",
    ),
)
JSON_ONLY = Problem(
    415,
    "json-required",
    Text(
        "Thao tác này chỉ nhận dữ liệu JSON (application/json), không nhận tệp",
        "This action takes a JSON body (application/json) and no file",
    ),
)
FORM_OR_JSON = Problem(
    415,
    "unsupported-media-type",
    Text(
        "Gửi văn bản kết quả dạng multipart/form-data (trường 'file')",
        "Send the result document as multipart/form-data (field 'file')",
    ),
)
NOT_YET = Problem(
    409, "not-accepted-yet", Text("Hồ sơ chưa được tiếp nhận", "The dossier has not been accepted yet")
)
WRONG = Problem(
    400,
    "captcha-invalid",
    Text(
        "Mã xác nhận không đúng hoặc đã hết hạn, vui lòng lấy mã mới",
        "The confirmation code is wrong or expired; get a new one",
    ),
)


def kind_not_allowed(allowed: list[str]) -> Problem:
    return Problem(
        422,
        "applicant-kind-not-allowed",
        Text(
            "Thủ tục này không dành cho loại chủ hồ sơ đã chọn (xem đối tượng thực hiện của thủ tục)",
            "This procedure is not for that kind of applicant (see who may file it)",
        ),
        extra={"allowed": allowed},
    )


IDENTITY_REQUIRED = Problem(
    403,
    "identity-not-verified",
    Text(
        "Cần đăng nhập bằng tài khoản định danh điện tử VNeID để nộp hồ sơ trực tuyến",
        "Sign in with your VNeID electronic identity to file dossiers online",
    ),
    Text(
        "Tài khoản của bạn chưa được xác thực danh tính qua VNeID. Đăng nhập bằng nút "
        "“Đăng nhập bằng tài khoản định danh điện tử VNeID” để liên kết và xác thực tài khoản.",
        "Your account's identity is not verified through VNeID. Sign in with the VNeID button to link "
        "and verify your account.",
    ),
)


def not_the_verified_submitter(verified_id: str) -> Problem:
    return Problem(
        422,
        "submitter-not-verified",
        Text(
            "Người nộp hồ sơ là chủ tài khoản đã xác thực qua VNeID",
            "The submitter is the account holder verified through VNeID",
        ),
        Text(
            f"Số định danh của người nộp phải là {verified_id}. Nộp thay người khác thì khai người đó "
            "ở mục chủ hồ sơ (kèm văn bản ủy quyền).",
            f"The submitter's ID number must be {verified_id}. To file for someone else, give them as the "
            "dossier's owner (with an authorisation).",
        ),
        extra={
            "errors": [
                {
                    "field": "body.submitter",
                    "type": "submitter_not_verified",
                    "message": "Số định danh của người nộp phải là số đã xác thực qua VNeID",
                }
            ]
        },
    )


ORG_NOT_FOUND = Problem(
    404,
    "organisation-not-found",
    Text(
        "Không tìm thấy tổ chức, hoặc bạn không thuộc tổ chức này",
        "No such organisation, or you do not belong to it",
    ),
)
VIEWER_ONLY = Problem(
    403,
    "organisation-viewer",
    Text(
        "Bạn chỉ được xem hồ sơ của tổ chức này, không được nộp hay sửa",
        "You may only see this organisation's dossiers, not file or change them",
    ),
    Text(
        "Người đại diện của tổ chức có thể cấp cho bạn vai trò nhân viên (staff).",
        "The organisation's representative can give you the staff role.",
    ),
)
