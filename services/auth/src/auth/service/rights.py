"""A citizen's rights over their data (docs/auth.md, "Your data").

**The export** (``GET /me/export``): everything the system holds about the caller, as one ZIP archive.
Auth writes its own part (the account, its organisations, sessions and sign-ins) and asks every other
service for theirs with the caller's own token (``adapters/peers.py``): submission (the dossiers and
their files), notify (notifications, messages sent, preferences), payment (orders) and the audit trail
(the entries about the caller). The archive is spooled to a temporary file and handed over only when
every part is in: a service that does not answer makes the whole export a 503, never an archive with a
part missing.

**Closing the account** (``POST /me/close``): the current password and an explicit confirmation; refused
while a dossier of the caller's is still in hand (the agency must be able to tell them the outcome) or
while they are the last representative of an organisation (someone must manage it). The account is
anonymised in one transaction with its sessions' end and ``user.closed.v1``; each service then erases
what no law requires it to keep."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from dvckit import logs
from dvckit.auth import Principal
from dvckit.contracts import OrganisationMemberChangedV1, UserClosedV1
from dvckit.errors import Problem, Text
from dvckit.mongo import Session
from dvckit.runtime import Runtime

from ..adapters.archive import Archive, JsonList, dumps
from ..adapters.peers import (
    AUDIT_ME,
    NOTIFY_EXPORT,
    PAYMENT_EXPORT,
    SUBMISSION_EXPORT,
    Peers,
    PeerUnavailable,
)
from ..adapters.repos import Repositories
from ..domain import organisations as org_rules
from ..domain.devices import device
from ..domain.mfa import needs_second_factor
from .accounts import Accounts
from .codes import Codes, destination
from .errors import BAD_CODE, NOT_FOUND, TOO_MANY_CODES
from .organisations import CHANGED
from .sessions import Sessions

log = logs.get(__name__)

NAMES = {
    "submission": ("hồ sơ", "dossiers"),
    "notify": ("thông báo", "notifications"),
    "payment": ("thanh toán", "payments"),
    "audit": ("nhật ký truy cập", "audit trail"),
}


def part_missing(service: str) -> Problem:
    vi, en = NAMES.get(service, (service, service))
    return Problem(
        503,
        "export-unavailable",
        Text(
            "Chưa tải được dữ liệu cá nhân, vui lòng thử lại sau",
            "Your data could not be gathered; please try again later",
        ),
        Text(
            f"Không lấy được phần dữ liệu {vi}; không có tệp nào được tạo thiếu phần này.",
            f"The {en} part could not be read; no archive is made without it.",
        ),
        headers={"Retry-After": "30"},
        extra={"service": service},
    )


CONFIRMATION_REQUIRED = Problem(
    422,
    "confirmation-required",
    Text("Cần xác nhận đóng tài khoản", "Confirm that the account is to be closed"),
    Text(
        "Đánh dấu xác nhận rằng bạn hiểu tài khoản sẽ bị đóng vĩnh viễn.",
        "Tick the confirmation that you understand the account is closed for good.",
    ),
)
STAFF_ACCOUNT = Problem(
    403,
    "staff-account",
    Text(
        "Tài khoản cán bộ, quản trị do quản trị viên xử lý",
        "Staff and administrator accounts are closed by an administrator",
    ),
)
NO_PASSWORD = Problem(
    409,
    "password-not-set",
    Text("Tài khoản chưa có mật khẩu", "The account has no password"),
    Text(
        "Hãy nhận mã xác nhận gửi đến số điện thoại của bạn và đóng tài khoản bằng mã đó.",
        "Ask for a code to your phone and close the account with it.",
    ),
)
PASSWORD_OR_CODE = Problem(
    422,
    "password-or-code",
    Text("Cần mật khẩu hiện tại hoặc mã xác nhận", "The current password or a code is needed"),
    Text(
        "Nhập mật khẩu hiện tại, hoặc mã xác nhận vừa được gửi đến bạn (không nhập cả hai).",
        "Give the current password, or the code just sent to you (not both).",
    ),
)
NO_CONTACT = Problem(
    409,
    "no-contact",
    Text(
        "Tài khoản không có số điện thoại hay email đã xác nhận",
        "The account has no confirmed phone or email",
    ),
)


def dossiers_in_hand(count: int) -> Problem:
    return Problem(
        409,
        "dossiers-in-hand",
        Text("Bạn còn hồ sơ đang được giải quyết", "A dossier of yours is still being handled"),
        Text(
            f"Còn {count} hồ sơ chưa trả kết quả: tài khoản đóng được khi cơ quan đã giải quyết xong "
            "(hoặc bạn rút hồ sơ).",
            f"{count} dossier(s) not yet returned: the account can be closed once the agency has "
            "finished with them (or you withdraw them).",
        ),
        extra={"in_hand": count},
    )


def last_representative(names: list[str]) -> Problem:
    listed = ", ".join(names)
    return Problem(
        409,
        "last-representative",
        Text(
            "Bạn là người đại diện duy nhất của tổ chức",
            "You are the only representative of an organisation",
        ),
        Text(
            f"Hãy chỉ định người đại diện khác cho: {listed}.",
            f"Name another representative first for: {listed}.",
        ),
        extra={"organisations": names},
    )


def _file_name(name: str) -> str:
    """A member name for a citizen's file: no path, no control characters, at most 120 characters."""
    clean = unicodedata.normalize("NFC", name).replace("/", "_").replace("\\", "_")
    clean = re.sub(r"[\x00-\x1f\x7f]", "", clean).strip(". ") or "tep"
    return clean[-120:]


README = """DỮ LIỆU CÁ NHÂN — CỔNG DỊCH VỤ CÔNG THÀNH PHỐ HẢI PHÒNG
Tạo lúc: {at} (UTC). Tài khoản: {user_id}

Tệp này chứa mọi dữ liệu hệ thống đang lưu về bạn:
- account.json: tài khoản (họ tên, số định danh, điện thoại, email, mức định danh, thông tin định danh
  VNeID), tổ chức bạn là thành viên, các phiên đăng nhập đang mở và lịch sử đăng nhập gần đây.
- dossiers.json: các hồ sơ của bạn (cả hồ sơ nháp), đầy đủ như bạn xem trên cổng; mỗi tệp đính kèm và
  văn bản kết quả nằm trong thư mục tep/ (đường dẫn ghi ở trường "archive_path" của từng tệp).
- notifications.json: thông báo trong ứng dụng, thư điện tử và tin nhắn đã gửi cho bạn, lựa chọn nhận
  thông báo, địa chỉ liên hệ dịch vụ thông báo lưu. Mã xác nhận một lần không bao giờ được lưu.
- payments.json: các lần thanh toán phí, lệ phí của bạn.
- audit.json: nhật ký truy cập dữ liệu của bạn: cán bộ nào (vai trò, cơ quan) đã xem hoặc thay đổi
  dữ liệu, tệp của bạn, khi nào.
Hồ sơ của một tổ chức thuộc về tổ chức đó, không nằm trong tệp này.

PERSONAL DATA — HAI PHONG ONLINE PUBLIC SERVICES
Made at: {at} (UTC). Account: {user_id}

This archive holds everything the system keeps about you:
- account.json: your account (name, citizen ID, phone, email, identity level, VNeID identity), the
  organisations you belong to, your open sessions and recent sign-ins.
- dossiers.json: your dossiers (drafts too), in full as the portal shows them; each attached file and
  result document is in the folder tep/ (its path in the file's "archive_path").
- notifications.json: in-app notifications, emails and text messages sent to you, your notification
  choices and the contacts the notification service keeps. One-time codes are never stored.
- payments.json: your fee payments.
- audit.json: the audit trail of your data: which staff (role, agency) read or changed your data or
  files, and when.
An organisation's dossiers belong to the organisation and are not in this archive.
"""


class YourData:
    def __init__(
        self,
        rt: Runtime,
        repos: Repositories,
        accounts: Accounts,
        sessions: Sessions,
        peers: Peers,
        codes: Codes,
        *,
        spool_dir: str | None = None,
        page_size: int = 50,
    ) -> None:
        self.rt = rt
        self.repos = repos
        self.accounts = accounts
        self.sessions = sessions
        self.peers = peers
        self.codes = codes
        self.spool_dir = spool_dir
        self.page_size = page_size

    # -- the export ------------------------------------------------------------------------------
    async def export(self, who: Principal, authorization: str) -> str:
        """The caller's archive, complete, as a temporary file's path (removed once streamed)."""
        user = await self.accounts.me(who.sub)
        at = datetime.now(UTC)
        with Archive(self.spool_dir) as archive:
            try:
                archive.text("README.txt", README.format(at=at.isoformat(), user_id=who.sub))
                archive.json("account.json", await self._account(user))
                await self._dossiers(archive, authorization)
                await self._notifications(archive, authorization)
                await self._list(archive, "payments.json", "payment", PAYMENT_EXPORT, authorization)
                await self._list(archive, "audit.json", "audit", AUDIT_ME, authorization)
            except PeerUnavailable as e:
                log.warning("data export refused: a part is missing", service=e.service)
                raise part_missing(e.service) from None
            path = archive.finish()
        log.info("data export made")
        return path

    async def _account(self, user: dict[str, Any]) -> dict[str, Any]:
        user_id = user["id"]
        orgs = await self.repos.organisations.of_member(user_id)
        live = await self.repos.tokens.live(user_id, 100)
        attempts = await self.repos.attempts.of_user(user_id)
        return {
            "account": user,
            "organisations": [
                {
                    "id": o["_id"],
                    "tax_code": o["tax_code"],
                    "name": o["name"],
                    "role": org_rules.role_of(o, user_id),
                }
                for o in orgs
            ],
            "sessions": [
                {
                    "id": d["family"],
                    "device": device(d.get("ua", "")).text("vi"),
                    "user_agent": d.get("ua"),
                    "ip": d.get("last_ip") or d.get("ip"),
                    "started_at": d.get("started_at") or d["created_at"],
                    "last_used_at": d["created_at"],
                }
                for d in live
            ],
            "sign_ins": [{k: a.get(k) for k in ("at", "ok", "reason", "ip", "login")} for a in attempts],
        }

    async def _dossiers(self, archive: Archive, authorization: str) -> None:
        files: list[tuple[str, str]] = []  # (API path, member name), downloaded after the list
        with archive.open("dossiers.json") as out:
            items = JsonList(out)
            async for body in self.peers.pages(
                self.peers.submission, SUBMISSION_EXPORT, authorization, size=self.page_size
            ):
                for d in body["items"]:
                    folder = f"tep/{_file_name(str(d.get('code') or d['id']))}"
                    base = f"/api/v1/submissions/dossiers/{d['id']}"
                    for key, route in (
                        ("attachments", "attachments"),
                        ("superseded", "attachments"),
                        ("results", "results"),
                    ):
                        for f in d.get(key) or []:
                            member = f"{folder}/{key}/{f['id']}-{_file_name(str(f.get('name', '')))}"
                            f["archive_path"] = member
                            files.append((f"{base}/{route}/{f['id']}", member))
                    items.add(d)
            items.close()
        for path, member in files:
            await archive.copy(member, self.peers.download(path, authorization))

    async def _notifications(self, archive: Archive, authorization: str) -> None:
        """One JSON object: the notifications, then the deliveries (each list read through its own walk
        of the pages, so neither is held in memory), the preferences and the contacts."""
        first: dict[str, Any] = {}
        with archive.open("notifications.json") as out:
            for n, key in enumerate(("notifications", "deliveries")):
                opening = "{" if n == 0 else ","
                out.write(f'{opening}\n"{key}": '.encode())
                items = JsonList(out)
                async for body in self.peers.pages(
                    self.peers.notify, NOTIFY_EXPORT, authorization, size=self.page_size * 2, lists=(key,)
                ):
                    first = first or body
                    for item in body[key]["items"]:
                        items.add(item)
                items.close()
            for k in ("preferences", "contact"):
                out.write(f',\n"{k}": {dumps(first.get(k))}'.encode())
            out.write(b"\n}\n")

    async def _list(self, archive: Archive, name: str, service: str, path: str, authorization: str) -> None:
        peer = getattr(self.peers, service)
        with archive.open(name) as out:
            items = JsonList(out)
            async for body in self.peers.pages(peer, path, authorization, size=self.page_size * 2):
                for item in body["items"]:
                    items.add(item)
            items.close()

    # -- closing the account ---------------------------------------------------------------------
    @staticmethod
    def _code_key(user_id: str) -> str:
        return f"close:{user_id}"

    async def _closable(self, who: Principal) -> dict[str, Any]:
        user = await self.repos.users.get(who.sub)
        if user is None or user.get("closed_at"):
            raise NOT_FOUND
        if needs_second_factor(user.get("roles", [])):
            raise STAFF_ACCOUNT
        return user

    async def send_code(self, who: Principal) -> dict[str, Any]:
        """A code to close the account with, instead of the password (an account made through VNeID has
        none): to the confirmed phone, else the email; when it expires and where it went."""
        user = await self._closable(who)
        channel = "phone" if user.get("phone") else "email" if user.get("email") else None
        if channel is None:
            raise NO_CONTACT
        if not await self.codes.take(destination(channel, user[channel]), "account_close"):
            raise TOO_MANY_CODES

        async def txn(session: Session) -> datetime:
            return await self.codes.send(
                session,
                self._code_key(user["_id"]),
                {"user_id": user["_id"]},
                purpose="account_close",
                user_id=user["_id"],
                full_name=user.get("full_name"),
                **{channel: user[channel]},
            )

        expires = await self.rt.transaction(txn)
        return {"channel": "sms" if channel == "phone" else "email", "expires_at": expires}

    async def close(
        self,
        who: Principal,
        authorization: str,
        *,
        password: str | None,
        code: str | None,
        confirm: bool,
        ip: str,
    ) -> datetime:
        """Close the caller's account (see the module's docstring); when it was closed."""
        if not confirm:
            raise CONFIRMATION_REQUIRED
        if (password is None) == (code is None):
            raise PASSWORD_OR_CODE
        user = await self._closable(who)
        redeemed: dict[str, Any] | None = None
        if password is not None:
            if not user.get("password_hash"):
                raise NO_PASSWORD
            await self.accounts.prove(user, password, ip)
        else:
            redeemed = await self.codes.redeem(self._code_key(who.sub), code or "")
        try:
            held = await self.peers.in_hand(authorization)
            in_hand = int(held["in_hand"])
        except PeerUnavailable as e:
            raise part_missing(e.service) from None
        except (KeyError, TypeError, ValueError):
            raise part_missing("submission") from None
        if in_hand:
            raise dossiers_in_hand(in_hand)
        orgs = await self.repos.organisations.of_member(who.sub)
        leaving: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        sole: list[str] = []
        for org in orgs:
            try:
                leaving.append((org, org_rules.without(org["members"], who.sub)))
            except org_rules.Refused:
                sole.append(org["name"])
        if sole:
            raise last_representative(sole)
        at = datetime.now(UTC)

        async def txn(session: Session) -> list[str]:
            if redeemed is not None and not await self.codes.spend(
                self._code_key(who.sub), redeemed, session
            ):
                raise BAD_CODE  # used by a request at the same moment
            for org, members in leaving:
                if (
                    await self.repos.organisations.set_members(
                        org["_id"], org.get("version", 0), members, session
                    )
                    is None
                ):
                    raise CHANGED
                await self.rt.outbox.add(
                    session,
                    OrganisationMemberChangedV1(
                        organisation_id=org["_id"], user_id=who.sub, change="removed", by_user_id=who.sub
                    ),
                )
            ended = await self.sessions.revoke_all(who.sub, reason="closed", session=session)
            await self.repos.tokens.forget_user(who.sub, session)
            await self.sessions.revoked.user(who.sub, session)
            await self.repos.codes.forget_user(who.sub, session)
            await self.repos.attempts.forget(who.sub, session)
            await self.repos.users.close(who.sub, at, session)
            await self.rt.outbox.add(session, UserClosedV1(user_id=who.sub, closed_at=at))
            return ended

        ended = await self.rt.transaction(txn)
        self.sessions.revoked.known(sessions=ended, user_id=who.sub)
        log.info("account closed by its holder", organisations_left=len(leaving))
        return at
