# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def post_init_hook(env):
    """Give every company with a chart of accounts its wallet accounts."""
    env["res.company"].search([])._clinic_ensure_accounting()
