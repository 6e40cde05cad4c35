"""Runs moto's server like `moto_server`, with DynamoDB requests serialised.

moto's server handles requests on threads, and its DynamoDB backend checks a condition and writes in
separate steps without a lock, so two concurrent conditional writes (or transactions) can both pass:
a lost update that DynamoDB itself never allows. Orion's invariants (no oversell, optimistic locking)
are tested against this emulator, so DynamoDB calls are made atomic here; other services keep their
concurrency (SQS long polls must not block everything).
"""
import argparse
import signal
import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


class SerialiseDynamoDB:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_"):
            return self.app(environ, start_response)
        with self.lock:
            # Consume the whole response under the lock: the write happens while it is produced.
            return list(self.app(environ, start_response))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    import os
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    run_simple(args.host, args.port, SerialiseDynamoDB(app), threaded=True)


if __name__ == "__main__":
    main()
