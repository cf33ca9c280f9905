# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

import psycopg2
from psycopg2 import errorcodes

from odoo import http
from odoo.addons.payment.controllers.post_processing import PaymentPostProcessing

_logger = logging.getLogger(__name__)


class ClinicPaymentPostProcessing(PaymentPostProcessing):
    @http.route()
    def poll_status(self, **kwargs):
        """A payment's post-processing that meets a concurrent update (the
        appointment's row lock while a webhook or a job writes it) is asked
        again by the browser: Odoo answers "retry". That is contention, logged
        as Odoo logs the requests it retries, not an error with a traceback."""
        try:
            return super().poll_status(**kwargs)
        except Exception as exc:
            cause = exc.__context__
            if str(exc) == "retry" and isinstance(cause, psycopg2.OperationalError):
                _logger.info(
                    "%s while post-processing a payment: the browser polls again",
                    errorcodes.lookup(cause.pgcode) if cause.pgcode else type(cause).__name__,
                )
                exc.loglevel = logging.DEBUG
            raise
