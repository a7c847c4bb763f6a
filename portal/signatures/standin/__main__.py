"""python -m portal.signatures.standin: run the NCALayer stand-in in the foreground.

Refuses to start (exit 2, one line) when TYNDAU_ENV=production or asked for a host other than 127.0.0.1.
A port already in use (NCALayer itself, or another stand-in) ends it with exit 1 and one line, so
`make run` goes on with the portal alone.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading

from .server import ALGORITHMS, LOOPBACK, StandIn

DEFAULT_PORT = 13579


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.signatures.standin",
                                     description="A local stand-in for NCALayer, for development only.")
    parser.add_argument("--pki", default=os.path.join("instance", "pki"),
                        help="the development PKI (keys under DIR/people/<username>/); default ./instance/pki")
    parser.add_argument("--host", default=LOOPBACK, help="127.0.0.1 only")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--pick", default=os.environ.get("NCALAYER_STANDIN_PICK") or None,
                        help="sign at once as this person (default: $NCALAYER_STANDIN_PICK; "
                             "otherwise pick on the page)")
    parser.add_argument("--algorithm", choices=ALGORITHMS, default="gost")
    parser.add_argument("--wait", type=float, default=120.0,
                        help="seconds a request waits for a key before action.canceled (default 120)")
    args = parser.parse_args(argv)

    if os.environ.get("TYNDAU_ENV", "development") == "production":
        print("NCALayer stand-in: refused, TYNDAU_ENV=production (it signs with unencrypted development keys)",
              file=sys.stderr)
        return 2
    if args.host != LOOPBACK:
        print(f"NCALayer stand-in: refused, it binds {LOOPBACK} only (not {args.host})", file=sys.stderr)
        return 2
    try:
        standin = StandIn(args.pki, port=args.port, algorithm=args.algorithm, wait_seconds=args.wait)
        if args.pick:
            standin.pick(args.pick)
        standin.start()
    except ValueError as exc:
        print(f"NCALayer stand-in: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            print(f"NCALayer stand-in: not started: {exc}", file=sys.stderr)
        else:
            print(f"NCALayer stand-in: not started, {LOOPBACK}:{args.port} is not free (NCALayer itself or "
                  "another stand-in?); with NCALayer itself, give the portal NCALAYER_URL=wss://127.0.0.1:13579",
                  file=sys.stderr)
        return 1

    print(f"NCALayer stand-in on {standin.url}; pick the key at {standin.page_url}"
          + (f" (signing as {args.pick})" if args.pick else ""), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
