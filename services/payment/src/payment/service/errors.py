"""Every problem the payment use cases answer with, in one place (codes are part of the API)."""

from __future__ import annotations

from dvckit.errors import Problem, Text

DOSSIER_NOT_FOUND = Problem(
    404, "dossier-not-found", Text("Không tìm thấy hồ sơ hoặc khoản thanh toán", "No such dossier or payment")
)
ORDER_NOT_FOUND = Problem(
    404, "payment-order-not-found", Text("Không tìm thấy đơn thanh toán", "No such payment order")
)
NOTHING_TO_PAY = Problem(
    409, "nothing-to-pay", Text("Hồ sơ không có khoản phí nào phải nộp", "The dossier has no fee to pay")
)
ALREADY_PAID = Problem(
    409, "already-paid", Text("Khoản phí này đã được thanh toán", "This fee has been paid already")
)
ORDER_CLOSED = Problem(
    409, "payment-order-closed", Text("Đơn thanh toán đã kết thúc", "The payment order is closed")
)
ORDER_EXPIRED = Problem(
    410,
    "payment-order-expired",
    Text("Đơn thanh toán đã hết hạn, vui lòng tạo đơn mới", "The payment order expired; make a new one"),
)
NOT_PAID = Problem(
    409, "payment-not-paid", Text("Đơn chưa được thanh toán, chưa có biên lai", "Not paid: no receipt yet")
)
CHANGED = Problem(
    409,
    "payment-order-changed",
    Text("Đơn thanh toán vừa thay đổi, vui lòng thử lại", "The payment order just changed; try again"),
)
REFUND_IN_PROGRESS = Problem(
    409, "refund-in-progress", Text("Đơn đang được hoàn tiền", "A refund of this order is in progress")
)
PROVIDER_DOWN = Problem(
    503,
    "payment-provider-unavailable",
    Text("Cổng thanh toán tạm thời gián đoạn, vui lòng thử lại sau", "The payment provider is unavailable"),
    headers={"Retry-After": "30"},
)
REFUND_REFUSED = Problem(
    502,
    "refund-refused",
    Text("Cổng thanh toán từ chối hoàn tiền", "The payment provider refused the refund"),
)
UNKNOWN_PROVIDER = Problem(
    404, "unknown-provider", Text("Không hỗ trợ cổng thanh toán này", "No such payment provider")
)
FORBIDDEN = Problem(
    403, "forbidden", Text("Bạn không có quyền thực hiện thao tác này", "You are not allowed to do this")
)
