"""Log in to the local Odoo as a user and screenshot a page with headless Chromium.

Usage: .venv/bin/python scripts/screenshot.py LOGIN URL_PATH OUT.png [--base URL] [--wait S]
       [--click CSS_SELECTOR]...

A developer tool to look at what users see; it drives Chromium through the
DevTools protocol (websocket-client), nothing else.
"""

import argparse
import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("login")
    parser.add_argument("path")
    parser.add_argument("out")
    parser.add_argument("--base", default="http://localhost:8069")
    parser.add_argument("--db", default="clinic_prepay_demo")
    parser.add_argument("--wait", type=float, default=5.0)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--click", action="append", default=[], help="CSS selector to click")
    args = parser.parse_args()

    profile = tempfile.mkdtemp()
    port = 9333
    chrome = subprocess.Popen(
        [
            shutil.which("chromium"),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}",
            f"--window-size={args.width},{args.height}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
                page = next(t for t in targets if t["type"] == "page")
                break
            except Exception:
                time.sleep(0.2)
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], suppress_origin=True)
        counter = iter(range(1, 10**6))

        def call(method, **params):
            msg_id = next(counter)
            ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
            while True:
                msg = json.loads(ws.recv())
                if msg.get("id") == msg_id:
                    return msg.get("result", {})

        def evaluate(expr):
            return call("Runtime.evaluate", expression=expr, awaitPromise=True)

        call(
            "Emulation.setDeviceMetricsOverride",
            width=args.width,
            height=args.height,
            deviceScaleFactor=1,
            mobile=False,
        )
        if args.login != "-":
            call("Page.navigate", url=f"{args.base}/web/login")
            time.sleep(2)
            params = {"db": args.db, "login": args.login, "password": args.login}
            result = evaluate(
                "fetch('/web/session/authenticate', {method: 'POST',"
                " headers: {'Content-Type': 'application/json'},"
                f" body: JSON.stringify({{jsonrpc: '2.0', params: {json.dumps(params)}}})}})"
                ".then(r => r.json()).then(j => j.error ? 'error' : 'ok')"
            )
            if result.get("result", {}).get("value") != "ok":
                raise SystemExit(f"login {args.login} failed: {result}")
        call("Page.navigate", url=args.base + args.path)
        time.sleep(args.wait)
        for selector in args.click:
            # e.g. the calendar's "next week" arrow before the capture
            evaluate(f"document.querySelector({json.dumps(selector)}).click()")
            time.sleep(2)
        data = call("Page.captureScreenshot", format="png")["data"]
        with open(args.out, "wb") as out:
            out.write(base64.b64decode(data))
        print(args.out)
    finally:
        chrome.terminate()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
