#!/usr/bin/env python3
"""The local stack's SMTP server: accepts every message and saves it, one file each, in a
maildir (written to tmp/, then renamed into new/, so a reader never sees half a message).

Like a real MTA's delivery it adds Return-Path and Delivered-To headers from the SMTP envelope,
so a test can check who a message was delivered to, not only what its To: says. Prints one JSON
line per message. Runs until SIGTERM/SIGINT, then exits 0.

    smtp_server.py --port 61425 --maildir target/local-stack/mail

Needs aiosmtpd (PyPI); deploy/local/stack.sh installs it into a venv.
"""

import argparse
import itertools
import json
import os
import signal
import sys
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class SaveToMaildir:
    def __init__(self, maildir: Path):
        self.maildir = maildir
        self.counter = itertools.count(1)
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        trace = f"Return-Path: <{envelope.mail_from}>\r\n"
        trace += "".join(f"Delivered-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos)
        content = envelope.original_content or envelope.content
        name = f"{time.time_ns()}.{os.getpid()}_{next(self.counter)}.eml"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(trace.encode() + content)
        os.replace(tmp, self.maildir / "new" / name)
        print(
            json.dumps(
                {
                    "message": "saved",
                    "from": envelope.mail_from,
                    "to": envelope.rcpt_tos,
                    "bytes": len(content),
                    "file": str(self.maildir / "new" / name),
                    "peer": session.peer[0] if session.peer else None,
                }
            ),
            flush=True,
        )
        return "250 OK: saved"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()

    controller = Controller(
        SaveToMaildir(args.maildir),
        hostname=args.host,
        port=args.port,
        enable_SMTPUTF8=True,
        data_size_limit=32 * 1024 * 1024,
    )
    controller.start()
    print(json.dumps({"message": "listening", "address": f"{args.host}:{args.port}", "maildir": str(args.maildir)}), flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
    print(json.dumps({"message": "stopped"}), flush=True)
    return 0


if __name__ == "__main__":
    # Block the signals before any thread starts, so sigwait above receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    sys.exit(main())
