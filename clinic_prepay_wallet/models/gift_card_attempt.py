# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import ipaddress
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

# wrong codes a visitor may try in an hour: guessing a 16-character code
# (32 letters) is out of reach at this pace
WRONG_CODES_PER_HOUR = 10


class ClinicGiftCardAttempt(models.Model):
    """A wrong gift card code tried on the website, by visitor (a hash of
    the address, IPv6 per /64): what the lookup limit counts."""

    _name = "clinic.gift.card.attempt"
    _description = "Gift Card Code Attempt"
    _log_access = False

    key = fields.Char(required=True, index=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)

    @api.model
    def _visitor_key(self, address):
        try:
            version = ipaddress.ip_address(address or "").version
        except ValueError:
            version = None
        if version == 6:
            address = str(ipaddress.ip_network(f"{address}/64", strict=False))
        return hashlib.sha256(f"clinic_gift_card:{address}".encode()).hexdigest()

    @api.model
    def _clinic_lookup(self, address, lookup):
        """Run ``lookup()`` (which raises UserError on a wrong code) for the
        visitor at ``address``, unless they tried too many wrong codes this
        hour. A wrong code is counted; the caller commits it (it answers
        with a redirect, not an error)."""
        key = self._visitor_key(address)
        # one visitor's attempts are counted one request at a time
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s)", [int(key[:15], 16)])
        since = fields.Datetime.now() - timedelta(hours=1)
        if self.sudo().search_count([("key", "=", key), ("date", ">", since)]) >= (
            WRONG_CODES_PER_HOUR
        ):
            raise UserError(
                self.env._("Too many wrong codes were tried. Please try again in an hour.")
            )
        try:
            with self.env.cr.savepoint():
                return lookup()
        except UserError:
            self.sudo().create({"key": key})
            raise

    @api.autovacuum
    def _gc_attempts(self):
        self.sudo().search([("date", "<", fields.Datetime.now() - timedelta(days=1))]).unlink()
