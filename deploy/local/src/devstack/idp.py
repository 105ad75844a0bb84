"""The development identity provider standing in for VNeID: a genuine OpenID Connect provider
(oidc-provider-mock, built on authlib: discovery, JWKS, authorization code flow, ID tokens signed with
RS256, nonce required) with a few test identities of Hải Phòng residents. Its sign-in form lists them;
any other subject typed there signs in with no citizen ID (and is refused by the auth service).

    python -m devstack.idp --port 9400

Claims follow the auth service's defaults (services/auth/src/auth/domain/vneid.py): ``citizen_id``,
``name``, ``birthdate``, ``address``, ``phone_number`` and ``acr`` (``vneid:level1`` or ``vneid:level2``).
"""

from __future__ import annotations

import argparse
import os

IDENTITIES = [
    {
        "sub": "vneid-dev-0001",
        "citizen_id": "031190000001",
        "name": "Nguyễn Thị Hải Yến",
        "birthdate": "1990-05-12",
        "address": {"formatted": "Số 12 Lạch Tray, phường Gia Viên, thành phố Hải Phòng"},
        "phone_number": "+84912000001",
        "acr": "vneid:level2",
    },
    {
        "sub": "vneid-dev-0002",
        "citizen_id": "031085000002",
        "name": "Trần Văn Đức",
        "birthdate": "1985-11-03",
        "address": {"formatted": "Thôn Đông, xã An Lão, thành phố Hải Phòng"},
        "phone_number": "+84912000002",
        "acr": "vneid:level1",
    },
    {
        "sub": "vneid-dev-0003",
        "citizen_id": "031201000003",
        "name": "Phạm Minh Khoa",
        "birthdate": "2001-02-27",
        "address": {"formatted": "Số 5 Trần Phú, phường Ngô Quyền, thành phố Hải Phòng"},
        "phone_number": "+84912000003",
        "acr": "vneid:level2",
    },
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9400)
    args = ap.parse_args()
    # authlib refuses OAuth over plain HTTP unless told: this provider serves loopback only.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    import uvicorn
    from oidc_provider_mock import User, app

    users = [User(sub=i["sub"], claims={k: v for k, v in i.items() if k != "sub"}) for i in IDENTITIES]
    uvicorn.run(
        app(require_nonce=True, user_claims=users),
        interface="wsgi",
        host=args.host,
        port=args.port,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
