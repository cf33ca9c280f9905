# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A local Stripe peer for the tests: ``localstripe`` on 127.0.0.1.

Tests never call the internet. :class:`LocalStripe` starts the stateful fake
Stripe server ``localstripe`` in a subprocess bound to loopback on a free
port, from scratch (it neither loads nor writes its ``/tmp`` pickle), and
points the official ``stripe`` SDK at it with network retries off.
"""

import socket
import subprocess
import sys
import time
from contextlib import closing

import stripe

# Run localstripe's aiohttp application on loopback only; its own CLI binds
# every interface and reloads state from /tmp, which tests must not do.
# Gaps of localstripe are filled as Stripe behaves: it accepts the parameters
# Odoo's Stripe provider sends that it does not model (kept on the object), a
# charge carries its intent's description, and a POST repeated with the same
# Idempotency-Key gets the first answer instead of acting twice.
_BOOTSTRAP = """
import sys
from aiohttp import web
from localstripe import resources, server
resources.Store.dump_to_disk = lambda self: None

def tolerate(cls, *names):
    init = cls.__init__
    def __init__(self, *args, **kwargs):
        kept = {name: kwargs.pop(name) for name in names if name in kwargs}
        init(self, *args, **kwargs)
        for name, value in kept.items():
            setattr(self, name, value)
    cls.__init__ = __init__

tolerate(resources.PaymentIntent, "description", "shipping", "setup_future_usage")
tolerate(resources.SetupIntent, "description", "payment_method_options")

# Stripe copies an intent's description (Odoo's reference) onto its charge.
create_charge = resources.PaymentIntent._create_charge
def _create_charge(self, on_failure_now):
    create_charge(self, on_failure_now)
    self.latest_charge.description = getattr(self, "description", None)
resources.PaymentIntent._create_charge = _create_charge
replies = {}

@web.middleware
async def idempotency(request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    if key not in replies:
        response = await handler(request)
        replies[key] = (response.status, response.body)
    status, body = replies[key]
    return web.Response(status=status, body=body, content_type="application/json")

server.app.middlewares.append(idempotency)
web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None,
            access_log=None)
"""

API_KEY = "sk_test_clinic_prepay_localstripe"


def _free_port():
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStripe:
    """Start, use and stop one localstripe server.

    Use as a context manager, or call :meth:`start` / :meth:`stop`; while it
    runs, the module-level ``stripe`` SDK talks to it.
    """

    def __init__(self):
        self.port = None
        self.process = None
        self._saved_sdk = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=20.0):
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "localstripe exited: " + self.process.stderr.read().decode(errors="replace")
                )
            with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"localstripe did not listen within {timeout}s")
        self._saved_sdk = (stripe.api_base, stripe.api_key, stripe.max_network_retries)
        stripe.api_base = self.url
        stripe.api_key = API_KEY
        stripe.max_network_retries = 0
        return self

    def stop(self):
        if self._saved_sdk:
            stripe.api_base, stripe.api_key, stripe.max_network_retries = self._saved_sdk
            self._saved_sdk = None
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
