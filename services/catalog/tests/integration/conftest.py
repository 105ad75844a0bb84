from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from catalog.config import Settings
from catalog.domain.model import Procedure
from catalog.main import create_app
from devstack import samples
from devstack.testing import eventually, started_apps


def proc(code: str, name: str, **over: Any) -> dict[str, Any]:
    """A sibling of Đăng ký tạm trú (devstack.samples) with its own code and name."""
    components = [
        {
            "id": "a1b2c3d4e5f6",
            "name": "Tờ khai thay đổi thông tin cư trú (Mẫu CT01)",
            "originals": 1,
            "forms": ["CT01.docx"],
        },
        {"id": "0f0f0f0f0f0f", "name": "Giấy tờ chứng minh chỗ ở hợp pháp", "copies": 1},
    ]
    base = {"online_level": "partial", "popularity": 100, "components": components}
    return samples.procedure(code=code, name=name, **{**base, **over})


SEED = [
    proc("1.004194", "Đăng ký tạm trú", popularity=15_539_622, online_level="full"),
    proc("1.010028", "Xóa đăng ký tạm trú", popularity=385_846),
    proc("1.002755", "Gia hạn tạm trú", popularity=705_135),
    proc("1.004222", "Đăng ký thường trú", popularity=8_781_419),
    proc(
        "1.001193",
        "Thủ tục đăng ký khai sinh",
        field="Hộ tịch",
        agencies=["Ủy ban nhân dân cấp xã"],
        popularity=17_610,
        fees=[{"name": "Lệ phí", "amount": 0}],
    ),
    proc(
        "3.000348",
        "Cấp lại giấy phép lái xe",
        field="Đường bộ",
        agencies=["Sở Xây dựng"],
        levels=["city"],
        online_level="none",
        popularity=53_292,
        fees=[],
    ),
    proc(
        "1.001612",
        "Đăng ký thành lập hộ kinh doanh",
        field="Thành lập và hoạt động của hộ kinh doanh",
        agencies=["Phòng Kinh tế", "Ủy ban nhân dân cấp xã"],
        popularity=2_171_391,
    ),
]


def write_seed(path: Path, procs: list[dict[str, Any]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for p in procs:
            f.write(
                json.dumps(
                    Procedure.model_validate(p).model_dump(mode="json", exclude_none=True), ensure_ascii=False
                )
                + "\n"
            )
    return path


@pytest.fixture
async def make_catalog(infra, tmp_path) -> AsyncIterator[Any]:
    seed = write_seed(tmp_path / "seed.jsonl.gz", SEED)

    def build(**overrides: Any) -> Any:
        return create_app(
            infra.settings(Settings, **{"seed_path": seed, "index_watch_seconds": 0.2, **overrides})
        )

    async with started_apps(build) as make:
        yield make


@pytest.fixture
async def catalog(make_catalog) -> Any:
    return await make_catalog()


async def seed_written(db: Any, timeout: float = 60) -> dict[str, Any]:
    """The seed marker once the seed's documents are all written (a replica is ready before that)."""

    async def done() -> dict[str, Any] | None:
        marker = await db.catalog_meta.find_one({"_id": "seed"})
        return marker if marker and marker.get("state") == "done" else None

    return await eventually(done, timeout=timeout, interval=0.1)
