"""The load test's people, for locust (run by bench/load.py, which prepares the accounts): citizens
searching the catalogue, citizens filing a dossier with two attachments through the four steps, and
officers taking new dossiers from their agency's queue and accepting them. Everything goes through the
gateway, the way the portal calls it.

How many of each: DVC_LOAD_FILERS, DVC_LOAD_SEARCHERS, DVC_LOAD_OFFICERS (locust's ``fixed_count``);
the accounts and settings: the JSON file named by DVC_LOAD_FIXTURES.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

from locust import between, constant, task
from locust.contrib.fasthttp import FastHttpUser
from urllib3 import encode_multipart_formdata

S = "/api/v1/submissions"
FIXTURES = json.loads(Path(os.environ["DVC_LOAD_FIXTURES"]).read_text(encoding="utf-8"))
CITIZENS = itertools.cycle(FIXTURES["citizens"])
OFFICERS = itertools.cycle(FIXTURES["officers"])
ATTACHMENT = b"%PDF-1.5\n" + os.urandom(FIXTURES["attachment_bytes"])


class Filer(FastHttpUser):
    """A citizen filing one dossier after another (a closed loop: the next starts when one is done)."""

    fixed_count = int(os.environ.get("DVC_LOAD_FILERS", "1"))
    wait_time = constant(0)

    def on_start(self) -> None:
        self.me = next(CITIZENS)
        self.auth = {"Authorization": f"Bearer {self.me['token']}"}

    def _ok(self, method: str, path: str, name: str, expect: int, **kw):
        with self.client.request(
            method, path, name=name, headers={**self.auth, **kw.pop("headers", {})}, catch_response=True, **kw
        ) as r:
            if r.status_code != expect:
                r.failure(f"{r.status_code} {r.text[:200] if r.text else ''}")
                return None
            return r.json() if r.text else {}

    @task
    def file(self) -> None:
        d = self._ok("POST", f"{S}/dossiers", "1 draft", 201, json={"procedure_code": FIXTURES["procedure"]})
        if d is None:
            return
        me = self.me
        applicant = {
            "submitter": {
                "full_name": me["full_name"],
                "citizen_id": me["citizen_id"],
                "date_of_birth": "1985-03-08",
                "phone": me["phone"],
                "address": "Số 1 Lạch Tray, phường Ngô Quyền, Hải Phòng",
            }
        }
        if self._ok("PUT", f"{S}/dossiers/{d['id']}/applicant", "2 applicant", 200, json=applicant) is None:
            return
        for component in FIXTURES["components"]:
            body, content_type = encode_multipart_formdata(
                {"component_id": component, "file": ("hồ sơ.pdf", ATTACHMENT, "application/pdf")}
            )
            path = f"{S}/dossiers/{d['id']}/attachments"
            if (
                self._ok("POST", path, "3 upload", 201, data=body, headers={"Content-Type": content_type})
                is None
            ):
                return
        if self._ok("GET", f"{S}/dossiers/{d['id']}/fees", "4 fees", 200) is None:
            return
        cap = self._ok("POST", f"{S}/captcha", "5 captcha", 201)
        if cap is None:
            return
        answer = {"captcha_id": cap["captcha_id"], "captcha_answer": FIXTURES["captcha"]}
        self._ok("POST", f"{S}/dossiers/{d['id']}/submit", "6 submit", 200, json=answer)


class Searcher(FastHttpUser):
    """A citizen looking for a procedure: a search (words with or without diacritics), then one result."""

    fixed_count = int(os.environ.get("DVC_LOAD_SEARCHERS", "0"))
    wait_time = between(0.5, 1.5)

    @task
    def search(self) -> None:
        q = random.choice(FIXTURES["search_terms"])
        with self.client.get(
            "/api/v1/catalog/procedures", params={"q": q, "size": 10}, name="search", catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(str(r.status_code))
                return
            items = r.json()["items"]
        if items:
            self.client.get(f"/api/v1/catalog/procedures/{random.choice(items)['code']}", name="procedure")


class Officer(FastHttpUser):
    """A one-stop officer: the queue of new dossiers, one opened, accepted (another officer may have
    taken it first: 409 is then the right answer)."""

    fixed_count = int(os.environ.get("DVC_LOAD_OFFICERS", "0"))
    wait_time = between(1, 2)

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer {next(OFFICERS)}"}

    @task
    def process(self) -> None:
        r = self.client.get(
            f"{S}/officer/dossiers",
            params={"status": "submitted", "size": 10},
            headers=self.auth,
            name="queue",
        )
        items = r.json().get("items", []) if r.status_code == 200 else []
        if not items:
            return
        d = random.choice(items)
        self.client.get(f"{S}/officer/dossiers/{d['id']}", headers=self.auth, name="officer dossier")
        with self.client.post(
            f"{S}/dossiers/{d['id']}/actions/accept",
            json={"note": "Hồ sơ đầy đủ"},
            headers=self.auth,
            name="accept",
            catch_response=True,
        ) as a:
            if a.status_code == 409:
                a.success()
