"""Dossier statuses (the national portal's synchronisation codes, ARCHITECTURE.md §8) and the moves
between them. Pure: no I/O."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # 1 mới đăng ký
    ACCEPTED = "accepted"  # 2 đã tiếp nhận
    REFUSED = "refused"  # 3 không được tiếp nhận
    PROCESSING = "processing"  # 4 đang xử lý
    SUPPLEMENT_REQUESTED = "supplement_requested"  # 5 yêu cầu bổ sung
    PAYMENT_REQUESTED = "payment_requested"  # 6 yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = "withdrawn"  # 7 công dân yêu cầu rút hồ sơ
    STOPPED = "stopped"  # 8 dừng xử lý
    FINISHED = "finished"  # 9 đã xử lý xong
    RETURNED = "returned"  # 10 đã trả kết quả


NUMBER: dict[Status, int] = {
    Status.DRAFT: 0,
    Status.SUBMITTED: 1,
    Status.ACCEPTED: 2,
    Status.REFUSED: 3,
    Status.PROCESSING: 4,
    Status.SUPPLEMENT_REQUESTED: 5,
    Status.PAYMENT_REQUESTED: 6,
    Status.WITHDRAWN: 7,
    Status.STOPPED: 8,
    Status.FINISHED: 9,
    Status.RETURNED: 10,
}

LABEL: dict[Status, tuple[str, str]] = {
    Status.DRAFT: ("Hồ sơ nháp", "Draft"),
    Status.SUBMITTED: ("Mới đăng ký", "Newly registered"),
    Status.ACCEPTED: ("Đã tiếp nhận", "Accepted"),
    Status.REFUSED: ("Không được tiếp nhận", "Not accepted"),
    Status.PROCESSING: ("Đang xử lý", "Being processed"),
    Status.SUPPLEMENT_REQUESTED: ("Yêu cầu bổ sung", "Supplement requested"),
    Status.PAYMENT_REQUESTED: ("Yêu cầu thực hiện nghĩa vụ tài chính", "Payment requested"),
    Status.WITHDRAWN: ("Công dân yêu cầu rút hồ sơ", "Withdrawn by the citizen"),
    Status.STOPPED: ("Dừng xử lý", "Processing stopped"),
    Status.FINISHED: ("Đã xử lý xong", "Processing finished"),
    Status.RETURNED: ("Đã trả kết quả", "Result returned"),
}


def describe(status: Status) -> dict[str, object]:
    vi, en = LABEL[status]
    return {"status": status.value, "status_code": NUMBER[status], "status_text": {"vi": vi, "en": en}}
