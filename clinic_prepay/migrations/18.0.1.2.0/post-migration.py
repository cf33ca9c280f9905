# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""No-update records changed by this version, set on upgrade:

- patients no longer see the desk's drafts (the portal rule of appointments);
- the payment link mail gives the policy, the clinic's address and phone, the
  confirmation reads "24 hours", the cancellation no longer promises a refund
  before it is approved. A template the clinic edited is left as it is.
"""

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.tools.misc import file_path

TEMPLATES = (
    "mail_template_appointment_payment_link",
    "mail_template_appointment_confirmed",
    "mail_template_appointment_cancelled",
)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("clinic_prepay.clinic_appointment_rule_portal", raise_if_not_found=False)
    if rule:
        rule.domain_force = (
            "[('patient_id', 'child_of', [user.commercial_partner_id.id]),"
            " ('state', '!=', 'draft')]"
        )
    tree = etree.parse(file_path("clinic_prepay/data/mail_template_data.xml"))
    for xmlid in TEMPLATES:
        template = env.ref(f"clinic_prepay.{xmlid}", raise_if_not_found=False)
        if not template or template.write_date != template.create_date:
            continue
        node = tree.find(f".//record[@id='{xmlid}']/field[@name='body_html']")
        template.body_html = "".join(etree.tostring(child, encoding="unicode") for child in node)
