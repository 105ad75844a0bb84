"""Dossier statuses (the national portal's synchronisation codes, docs/architecture.md §7) and the moves
between them. Pure: no I/O."""

from __future__ import annotations

from enum import StrEnum

from dvckit.contracts import DOSSIER_STATUS


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


NUMBER: dict[Status, int] = {s: DOSSIER_STATUS[s.value][0] for s in Status}
LABEL: dict[Status, tuple[str, str]] = {s: DOSSIER_STATUS[s.value][1:] for s in Status}


def describe(status: Status) -> dict[str, object]:
    vi, en = LABEL[status]
    return {"status": status.value, "status_code": NUMBER[status], "status_text": {"vi": vi, "en": en}}
