"""Every problem the account use cases answer with, in one place (codes are part of the API)."""

from __future__ import annotations

from dvckit.errors import Problem, Text

ACCOUNT_EXISTS = Problem(
    409,
    "account-exists",
    Text("Tài khoản đã tồn tại", "Account already exists"),
    Text(
        "Số định danh, số điện thoại, email hoặc tên đăng nhập này đã được dùng.",
        "This citizen ID, phone number, email or username is already in use.",
    ),
)
NOT_FOUND = Problem(404, "user-not-found", Text("Không tìm thấy tài khoản", "No such account"))
CONTACT_IN_USE = Problem(
    409,
    "contact-in-use",
    Text("Email hoặc số điện thoại đã được dùng", "Email or phone already in use"),
    Text(
        "Email hoặc số điện thoại này đã gắn với một tài khoản khác.",
        "This email or phone number belongs to another account.",
    ),
)
TOO_MANY_CODES = Problem(
    429,
    "too-many-codes",
    Text(
        "Đã gửi quá nhiều mã xác nhận đến địa chỉ này, vui lòng thử lại sau một giờ",
        "Too many codes were sent to this address; please try again in an hour",
    ),
    headers={"Retry-After": "3600"},
)
WRONG_PASSWORD = Problem(
    400, "wrong-password", Text("Mật khẩu hiện tại không đúng", "The current password is wrong")
)
SELF_LOCKOUT = Problem(
    409,
    "self-lockout",
    Text(
        "Không thể tự khóa hoặc tự bỏ quyền quản trị của chính mình",
        "You cannot lock yourself or remove your own administrator role",
    ),
)
BAD_CODE = Problem(
    400,
    "invalid-code",
    Text("Mã xác nhận không đúng hoặc đã hết hạn", "The code is wrong or has expired"),
)
BAD_CREDENTIALS = Problem(
    401,
    "invalid-credentials",
    Text("Tên đăng nhập hoặc mật khẩu không đúng", "Wrong username or password"),
)
ACCOUNT_LOCKED = Problem(
    403,
    "account-locked",
    Text(
        "Tài khoản đã bị khóa. Vui lòng liên hệ quản trị viên.",
        "This account is locked. Please contact an administrator.",
    ),
)
BAD_REFRESH = Problem(
    401,
    "invalid-refresh-token",
    Text(
        "Phiên đăng nhập không còn hiệu lực, vui lòng đăng nhập lại",
        "The session is no longer valid; please sign in again",
    ),
)

# -- the second factor of officers and administrators -------------------------------------------------
BAD_TICKET = Problem(
    401,
    "invalid-mfa-ticket",
    Text(
        "Phiên đăng nhập đã hết hạn hoặc không còn hiệu lực, vui lòng đăng nhập lại",
        "This sign-in has expired or is no longer valid; please sign in again",
    ),
)


def bad_mfa_code(tries_left: int) -> Problem:
    return Problem(
        401,
        "invalid-mfa-code",
        Text("Mã xác thực không đúng", "The code is wrong"),
        Text(
            "Mã xác thực không đúng hoặc đã được dùng. Hãy nhập mã đang hiện trên ứng dụng xác thực.",
            "The code is wrong or was already used. Enter the code your authenticator app shows now.",
        ),
        extra={"tries_left": tries_left},
    )


ENROLMENT_NOT_STARTED = Problem(
    409,
    "mfa-enrolment-not-started",
    Text(
        "Chưa tạo khóa xác thực cho tài khoản: hãy bắt đầu đăng ký xác thực hai bước trước",
        "No key was made for this account yet: start the two-step enrolment first",
    ),
)
MFA_NOT_ENROLLED = Problem(
    409,
    "mfa-not-enrolled",
    Text(
        "Tài khoản này chưa đăng ký xác thực hai bước",
        "This account has no second factor enrolled",
    ),
)
SELF_MFA_RESET = Problem(
    409,
    "self-mfa-reset",
    Text(
        "Không thể tự đặt lại xác thực hai bước của chính mình; hãy nhờ một quản trị viên khác",
        "You cannot reset your own second factor; ask another administrator",
    ),
)
SESSION_NOT_FOUND = Problem(
    404,
    "session-not-found",
    Text("Không tìm thấy phiên đăng nhập", "No such session"),
    Text(
        "Phiên đăng nhập này không còn, hoặc không phải của bạn.",
        "This session has ended, or is not yours.",
    ),
)

# -- staff roles and agencies --------------------------------------------------------------------------
AGENCY_REQUIRED = Problem(
    422,
    "agency-required",
    Text(
        "Cán bộ một cửa, chuyên viên, lãnh đạo phải thuộc ít nhất một cơ quan",
        "A reception officer, specialist or leader belongs to at least one agency",
    ),
)
ROLE_OR_ROLES = Problem(
    422,
    "role-or-roles",
    Text("Cần đúng một trong hai trường role hoặc roles", "Give exactly one of role and roles"),
    Text(
        "Hãy chọn vai trò bằng roles (reception, specialist, leader, admin); role là cách cũ.",
        "Choose the roles with roles (reception, specialist, leader, admin); role is the old way.",
    ),
)
NOT_AGENCY_STAFF = Problem(
    403,
    "not-agency-staff",
    Text(
        "Chỉ cán bộ của cơ quan này hoặc quản trị viên được xem danh sách cán bộ",
        "Only this agency's staff or an administrator may see its staff",
    ),
)
NOT_A_SPECIALIST = Problem(
    422,
    "not-a-specialist",
    Text(
        "Người được chọn không phải chuyên viên đang hoạt động của cơ quan này",
        "The account chosen is not an active specialist of this agency",
    ),
)
