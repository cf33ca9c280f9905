"""Render each patient mail of the demo clinic and screenshot it (docs/mails/).

Usage: .venv/bin/python scripts/mail_gallery.py -c .odoo-demo.conf -d clinic_prepay_demo

A documentation tool: each mail template is rendered for a demo record in
the matching state, wrapped as a mail client shows it, and screenshotted
with headless Chromium at a phone's width.
"""

import argparse
import html
import shutil
import subprocess
import tempfile
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api

MAILS = [
    (
        "mail_template_appointment_payment_link",
        "clinic.appointment",
        [("state", "=", "awaiting_payment")],
    ),
    ("mail_template_appointment_confirmed", "clinic.appointment", [("state", "=", "confirmed")]),
    ("mail_template_appointment_rescheduled", "clinic.appointment", [("state", "=", "confirmed")]),
    (
        "mail_template_appointment_cancelled_unpaid",
        "clinic.appointment",
        [("cancel_reason", "=", "unpaid")],
    ),
    (
        "mail_template_appointment_cancelled",
        "clinic.appointment",
        [("cancel_reason", "=", "late")],
    ),
    ("mail_template_appointment_no_show", "clinic.appointment", [("state", "=", "no_show")]),
    (
        "mail_template_refund_approved",
        "clinic.refund.request",
        [("state", "in", ("approved", "done"))],
    ),
    ("mail_template_refund_paid", "clinic.refund.request", [("state", "=", "done")]),
    ("mail_template_refund_rejected", "clinic.refund.request", [("state", "=", "rejected")]),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--out", default="docs/mails")
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    registry = odoo.modules.registry.Registry(args.database)
    pages = []
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        for xmlid, model, domain in MAILS:
            template = env.ref(f"clinic_prepay.{xmlid}")
            record = env[model].search(domain, limit=1)
            if not record:
                print(f"{xmlid}: no demo record {domain}")
                continue
            lang = record.patient_id.lang or "en_US"
            template = template.with_context(lang=lang)
            subject = template._render_field("subject", record.ids)[record.id]
            body = template._render_field("body_html", record.ids)[record.id]
            page = tempfile.NamedTemporaryFile("w", suffix=".html", delete=False)
            page.write(
                "<html><head><meta charset='utf-8'><style>body{font-family:sans-serif;"
                "margin:16px;color:#222}h3{border-bottom:1px solid #ddd;padding-bottom:8px}"
                "</style></head><body>"
                f"<div style='color:#777;font-size:13px'>To: {html.escape(record.patient_id.name)}"
                f"</div><h3>{html.escape(subject)}</h3>{body}</body></html>"
            )
            page.close()
            pages.append((xmlid, page.name))
    for xmlid, page in pages:
        target = out / f"{xmlid.replace('mail_template_', '')}.png"
        subprocess.run(
            [
                shutil.which("chromium"),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--screenshot={target.resolve()}",
                "--window-size=420,640",
                f"file://{page}",
            ],
            check=True,
            capture_output=True,
        )
        print(target)


if __name__ == "__main__":
    main()
