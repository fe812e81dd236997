"""``firmware-bridge``: probe, pay, simulate, serve.

Exit codes: 0 ok (approved, terminal present), 1 a problem (declined, no terminal), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from typing import Any

from firmware_bridge import concert_v2
from firmware_bridge.journal import DuplicateShortReference, Journal, JournalError
from firmware_bridge.outcome import Status, TerminalOutcome
from firmware_bridge.protocol import CURRENCY_CODES
from firmware_bridge.script import ScriptError, parse_script, parse_step
from firmware_bridge.terminal import PROTOCOLS, PaymentTerminal, SerialTerminal, TcpV3Terminal
from firmware_bridge.transport import SerialTransport, TransportError

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def _serial_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", required=True, metavar="PATH",
                   help="serial device, or HOST:PORT with --tcp (Caisse-AP IP, concert-v3)")
    p.add_argument("--tcp", action="store_true", help="the terminal is on TCP (concert-v3)")
    p.add_argument("--protocol", choices=PROTOCOLS, default="concert-v2")
    p.add_argument("--baudrate", type=int, default=9600)
    p.add_argument("--bytesize", type=int, choices=(7, 8), default=7)
    p.add_argument("--parity", choices=("N", "E", "O"), default="E")
    p.add_argument("--stopbits", type=int, choices=(1, 2), default=1)
    p.add_argument("--pos-number", default="01")
    p.add_argument("--byte-timeout", type=float, default=3.0, metavar="S")
    p.add_argument("--card-wait", type=float, default=180.0, metavar="S")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="firmware-bridge", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    probe = sub.add_parser("probe", help="check that a terminal answers on DEVICE")
    _serial_options(probe)
    probe.set_defaults(func=cmd_probe)

    pay = sub.add_parser("pay", help="one payment through the journal (a reference is never "
                                     "sent twice)")
    _serial_options(pay)
    pay.add_argument("--amount-cents", type=int, required=True, metavar="N")
    pay.add_argument("--currency", choices=sorted(CURRENCY_CODES), default="EUR")
    pay.add_argument("--reference", required=True, metavar="R")
    pay.add_argument("--journal", required=True, metavar="FILE")
    pay.set_defaults(func=cmd_pay)

    sim = sub.add_parser("simulate", help="run the terminal simulator on a pseudo-terminal")
    sim.add_argument("--link", metavar="PATH", help="symlink to create to the pty device")
    sim.add_argument("--protocol", choices=PROTOCOLS, default="concert-v2")
    sim.add_argument("--tcp-port", type=int, metavar="N",
                     help="serve concert-v3 on 127.0.0.1:N instead of a pty (0: any free port)")
    sim.add_argument("--record", metavar="FILE",
                     help="JSON-lines file of what the simulated acquirer approved")
    sim.add_argument("--script", default="", metavar="STEPS",
                     help="comma-separated steps RESULT[:DELAY_S][+FAULT...], e.g. "
                          "'approve,decline:2,approve+nak_first_frame'")
    sim.add_argument("--default", default="approve", metavar="STEP",
                     help="the step used once the script is over (default: approve)")
    sim.add_argument("--byte-timeout", type=float, default=3.0, metavar="S")
    sim.set_defaults(func=cmd_simulate)

    serve = sub.add_parser("serve", help="the bridge service on terminal.bridge_socket")
    serve.add_argument("--config", metavar="FILE", default=None,
                       help="kiosk configuration file (default: $KIOSK_CONFIG or "
                            "/etc/kiosk/kiosk.toml)")
    serve.set_defaults(func=cmd_serve)
    return parser


def _terminal(args: argparse.Namespace) -> PaymentTerminal:
    if args.tcp:
        host, _, port = args.device.rpartition(":")
        if args.protocol != "concert-v3" or not port.isdigit():
            raise SystemExit("--tcp needs --protocol concert-v3 and --device HOST:PORT")
        return TcpV3Terminal(host or "127.0.0.1", int(port), pos=args.pos_number,
                             byte_timeout=args.byte_timeout, card_wait_timeout=args.card_wait)
    device, options = args.device, dict(baudrate=args.baudrate, bytesize=args.bytesize,
                                        parity=args.parity, stopbits=args.stopbits)
    return SerialTerminal(lambda: SerialTransport(device, **options), protocol=args.protocol,
                          device=device, pos=args.pos_number, byte_timeout=args.byte_timeout,
                          card_wait_timeout=args.card_wait, reopen_timeout=0)


def _print(doc: dict[str, Any], as_json: bool, text: str) -> None:
    print(json.dumps(doc) if as_json else text)


def cmd_probe(args: argparse.Namespace) -> int:
    terminal = _terminal(args)
    try:
        terminal.probe()
        ok, detail = True, "the terminal answered"
    except (TransportError, Exception) as e:  # noqa: B014 - any failure: not there
        ok, detail = False, str(e)
    finally:
        terminal.close()
    _print({"ok": ok, "device": args.device, "protocol": args.protocol, "detail": detail},
           args.json, f"{args.device}: {'OK, ' if ok else 'NO TERMINAL: '}{detail}")
    return EXIT_OK if ok else EXIT_PROBLEM


def cmd_pay(args: argparse.Namespace) -> int:
    if not 0 < args.amount_cents <= concert_v2.MAX_AMOUNT_CENTS:
        print(f"--amount-cents must be 1 to {concert_v2.MAX_AMOUNT_CENTS}", file=sys.stderr)
        return EXIT_USAGE
    try:
        journal = Journal(args.journal)
        entry = journal.get(args.reference)
        if entry is None:
            journal.begin(args.reference, concert_v2.short_reference(args.reference),
                          args.amount_cents, args.currency, args.protocol)
            terminal = _terminal(args)
            try:
                outcome = terminal.pay(reference=args.reference,
                                       amount_cents=args.amount_cents,
                                       currency=args.currency)
            finally:
                terminal.close()
            journal.finish(args.reference, outcome)
            replayed = False
        else:
            outcome = entry.outcome or TerminalOutcome(Status.UNKNOWN, entry.amount_cents,
                                               entry.currency, reason="still in flight")
            replayed = True
    except DuplicateShortReference:
        print("this reference's 10-character terminal form is already in the journal",
              file=sys.stderr)
        return EXIT_USAGE
    except JournalError as e:
        print(f"no payment taken: {e}", file=sys.stderr)
        return EXIT_PROBLEM
    doc = {"reference": args.reference, **outcome.as_dict(), "replayed": replayed}
    text = (f"{outcome.status.value}: {outcome.amount_cents} cents {outcome.currency}, "
            f"reference {args.reference}"
            + (f" ({outcome.reason})" if outcome.reason else "")
            + (" [recorded earlier, not sent again]" if replayed else ""))
    _print(doc, args.json, text)
    return EXIT_OK if outcome.status == Status.APPROVED else EXIT_PROBLEM


def cmd_simulate(args: argparse.Namespace) -> int:
    from firmware_bridge.simulator import AcquirerRecord, PtySimulator, Script, TcpV3Simulator

    try:
        script = Script(parse_script(args.script), default=parse_step(args.default))
    except ScriptError as e:
        print(f"bad --script: {e}", file=sys.stderr)
        return EXIT_USAGE
    record = AcquirerRecord(args.record)
    if args.tcp_port is not None:
        tcp = TcpV3Simulator(port=args.tcp_port, script=script, record=record,
                             byte_timeout=args.byte_timeout).start()
        print(f"127.0.0.1:{tcp.port}", flush=True)
        sim: TcpV3Simulator | PtySimulator = tcp
    else:
        if not args.link:
            print("--link PATH is needed for a pty simulator", file=sys.stderr)
            return EXIT_USAGE
        sim = PtySimulator(args.link, protocol=args.protocol, script=script, record=record,
                           byte_timeout=args.byte_timeout).start()
        print(sim.link_path, flush=True)
        print(f"device {sim.device_path} ({args.protocol}); Ctrl-C to stop", file=sys.stderr)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from firmware_bridge.serve_config import run_from_config

    return run_from_config(args.config)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="firmware-bridge: %(levelname)s %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    # kioskctl dispatches the same way; kept twice on purpose: the bridge imports nothing from
    # the kiosk, and five lines are not worth a package both would depend on.
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
