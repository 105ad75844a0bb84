"""The published procedure is typed where consumers read it, and travels JSON for JSON all the same."""

from __future__ import annotations

from dvckit.consumer import read
from dvckit.contracts import ProcedureComponent, ProcedurePublishedV1, PublishedProcedure
from dvckit.events import Envelope

RECORD = {
    "code": "1.004194",
    "version": 3,
    "name": "Đăng ký tạm trú",
    "status": "published",
    "fileable": True,
    "field": "Cư trú",
    "agencies": ["Công an cấp xã"],
    "levels": ["commune"],
    "online_level": "full",
    "processing_time": {"value": 3.0, "unit": "working_day", "text": "3 Ngày làm việc"},
    "working_days": 3,
    "components": [{"id": "aaaaaaaaaaaa", "name": "Tờ khai", "forms": ["CT01.docx"], "max_bytes": 1024}],
    "fees": [{"name": "Lệ phí", "amount": 7000, "channel": "online"}],
    "results": [{"name": "Xác nhận", "code": None}],
    "popularity": 10,  # not typed: carried along
    "steps": ["Nộp hồ sơ"],
}


def test_the_wire_json_is_the_record_as_sent():
    e = ProcedurePublishedV1(code="1.004194", version=3, procedure=RECORD)
    assert isinstance(e.procedure, PublishedProcedure)
    assert e.procedure.components[0].max_bytes == 1024 and e.procedure.fees[0].amount == 7000
    assert e.procedure.as_json() == RECORD
    data = Envelope.wrap(e, producer="catalog").data
    assert data["procedure"]["popularity"] == 10 and data["procedure"]["steps"] == ["Nộp hồ sơ"]
    assert read(ProcedurePublishedV1, data).procedure.as_json() == RECORD


def test_a_component_that_says_nothing_means_the_defaults():
    c = ProcedureComponent(id="x")
    assert (c.name, c.group, c.required, c.originals, c.copies) == ("", None, True, 0, 0)
    assert c.file_types is None and c.max_bytes is None
    assert c.model_dump() == {"id": "x"}  # nothing added on the way out
