"""``devstack up|down|clean|status``: what ``make up``, ``make down`` and ``make clean`` run."""

from __future__ import annotations

import argparse
import sys

from .config import StackConfig
from .infra import say
from .stack import Stack, clean, print_status


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="devstack", description=__doc__)
    p.add_argument("action", choices=["up", "down", "clean", "status", "restart"])
    args = p.parse_args(argv)
    cfg = StackConfig.from_env()
    stack = Stack(cfg)
    if args.action == "up":
        try:
            stack.up()
        except (RuntimeError, TimeoutError) as e:
            say(f"failed: {e}")
            say(f"logs are in {cfg.log_dir}; `make down` stops what was started")
            return 1
        say(f"Cổng dịch vụ công Hải Phòng / web portal: {cfg.gateway_url}/")
        say(f"data: {cfg.data_dir}; logs: {cfg.log_dir}")
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
    elif args.action == "clean":
        stack.down()
        clean(cfg)
    else:
        print_status(stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
