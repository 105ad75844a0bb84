"""``devstack up|down|clean|status``: what ``make up``, ``make down`` and ``make clean`` run; ``devstack
totp``: the first administrator's current sign-in code on a development stack; ``devstack pki``: signing
certificates for agencies the running catalogue has and the local CA has not issued yet; ``devstack backup
[--to DIR|s3://bucket/prefix]`` and ``devstack restore PATH`` (``make backup``, ``make restore BACKUP=…``):
every service's database and every attachment object, to a dated folder and back (devstack.backup)."""

from __future__ import annotations

import argparse
import sys

import pyotp

from .config import StackConfig
from .infra import say
from .stack import Stack, clean, print_status


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="devstack", description=__doc__)
    p.add_argument(
        "action", choices=["up", "down", "clean", "status", "restart", "totp", "pki", "backup", "restore"]
    )
    p.add_argument("path", nargs="?", help="restore: the backup (a folder or s3://bucket/prefix)")
    p.add_argument("--to", help="backup: a folder or s3://bucket/prefix (default backups/<UTC time>/)")
    p.add_argument(
        "--resend-minutes",
        type=float,
        default=None,
        help="restore: outbox records sent this long before each snapshot are published again (15)",
    )
    args = p.parse_args(argv)
    cfg = StackConfig.from_env()
    stack = Stack(cfg)
    if args.action in ("backup", "restore"):
        from . import backup

        return backup.main(cfg, stack, args)
    if args.action == "up":
        try:
            stack.up()
        except (RuntimeError, TimeoutError) as e:
            say(f"failed: {e}")
            say(f"logs are in {cfg.log_dir}; `make down` stops what was started")
            return 1
        say(f"Cổng dịch vụ công Hải Phòng / web portal: {cfg.gateway_url}/")
        say(f"data: {cfg.data_dir}; logs: {cfg.log_dir}")
        if cfg.admin_totp_secret:
            say(
                f"administrator {cfg.admin_username}: after the password, a code of the TOTP key "
                f"{cfg.admin_totp_secret} (an authenticator app, or `.venv/bin/devstack totp`)"
            )
    elif args.action == "down":
        stopped = stack.down()
        say("stopped " + (", ".join(stopped) if stopped else "nothing (nothing of ours was running)"))
    elif args.action == "restart":
        stack.down(with_infra=False)
        try:
            stack.up()
        except (RuntimeError, TimeoutError) as e:
            say(f"failed: {e}")
            return 1
    elif args.action == "totp":
        if not cfg.admin_totp_secret:
            say("no DVC_ADMIN_TOTP_SECRET here: the administrator enrolled with an app of its own")
            return 1
        print(pyotp.TOTP(cfg.admin_totp_secret).now())
    elif args.action == "pki":
        stack.up_pki(live=True)
    elif args.action == "clean":
        stack.down()
        clean(cfg)
    else:
        print_status(stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
