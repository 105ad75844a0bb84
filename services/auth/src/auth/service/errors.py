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
SESSION_NOT_FOUND = Problem(
    404,
    "session-not-found",
    Text("Không tìm thấy phiên đăng nhập", "No such session"),
    Text(
        "Phiên đăng nhập này không còn, hoặc không phải của bạn.",
        "This session has ended, or is not yours.",
    ),
)
