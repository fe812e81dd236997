"""``python -m central_api --host 127.0.0.1 --port N --db FILE [--enroll-code CODE]
[--demo-catalog]``: run the reference central API until interrupted."""

from __future__ import annotations

import argparse
import sys

from central_api.server import make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m central_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--db", required=True, help="the server's SQLite file")
    parser.add_argument("--enroll-code", action="append", default=[],
                        help="a one-time enrollment code to accept (repeatable)")
    parser.add_argument("--demo-catalog", action="store_true",
                        help="serve the bundled demo catalog from assets/demo-catalog")
    args = parser.parse_args(argv)
    server = make_server(args.db, host=args.host, port=args.port,
                         enroll_codes=tuple(args.enroll_code), demo_catalog=args.demo_catalog)
    print(f"central API listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
