# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import datetime
import math

from odoo import api, models
from odoo.exceptions import AccessError, UserError, ValidationError


class ClinicGuardMixin(models.AbstractModel):
    """Workflow and money fields change only inside the add-on's actions.

    As with Odoo's ``payment.transaction``, the model's own methods do every
    write of its states, amounts, approvers and links to accounting
    documents; they do it in sudo mode. A create or write of such a field
    by a user (manager included), over the web client or RPC, is refused.
    Users may set the fields listed in ``_clinic_user_fields`` only, and the
    model decides in :meth:`_clinic_check_user_write` when.

    Each model calls :meth:`_clinic_check_create` and
    :meth:`_clinic_check_write` first in its ``create`` and ``write``.
    A context key cannot carry this: RPC callers choose their context. The
    superuser flag cannot be set over RPC.
    """

    _name = "clinic.guard.mixin"
    _description = "Clinic Write Guard"

    # Fields of the model that users may give on create or write.
    _clinic_user_fields = frozenset()
    # {new state: states it may come from}, for :meth:`_set_state`
    _TRANSITIONS = {}

    def _set_state(self, new_state, **vals):
        """Single entry point of state changes; refuses illegal transitions."""
        illegal = self.filtered(lambda rec: rec.state not in self._TRANSITIONS[new_state])
        if illegal:
            label = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "%(refs)s cannot become %(new)s from %(old)s.",
                    refs=", ".join(illegal.mapped("name")),
                    new=label[new_state],
                    old=", ".join(sorted({label[rec.state] for rec in illegal})),
                )
            )
        return self.sudo().write({"state": new_state, **vals})

    @api.model
    def _clinic_guarded_fields(self, vals):
        """The fields of ``vals`` the add-on itself defines and users may not set."""
        return sorted(
            name
            for name in vals
            if name in self._fields
            and name not in self._clinic_user_fields
            and (self._fields[name]._module or "").startswith("clinic_prepay")
        )

    @api.model
    def _clinic_check_vals(self, vals):
        if self.env.su:
            return
        forbidden = self._clinic_guarded_fields(vals)
        if forbidden:
            fields_ = self._fields
            labels = ", ".join(fields_[name]._description_string(self.env) for name in forbidden)
            raise AccessError(
                self.env._(
                    "%(fields)s of %(model)s change only through the clinic's actions"
                    " (book, pay, cancel, approve, refund...), not by editing them.",
                    fields=labels,
                    model=self._description,
                )
            )
        for name, value in vals.items():
            field = self._fields.get(name)
            if (
                field is not None
                and value is not False
                and not self._clinic_value_fits(field, value)
            ):
                raise ValidationError(
                    self.env._(
                        "%(field)s: %(value)r is not a valid value.",
                        field=field._description_string(self.env),
                        value=value,
                    )
                )

    @api.model
    def _clinic_value_fits(self, field, value):
        """Whether a user's ``value`` has the type of ``field``: over RPC
        anything can come, and a wrong type would reach the database or a
        parser as a traceback instead of a clear refusal."""
        if field.type in ("float", "monetary"):
            return (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and math.isfinite(value)
            )
        if field.type == "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if field.type == "many2one":
            return isinstance(value, models.BaseModel) or (
                isinstance(value, int) and not isinstance(value, bool) and value > 0
            )
        if field.type in ("datetime", "date"):
            if isinstance(value, (datetime.date, datetime.datetime)):
                return True
            if not isinstance(value, str):
                return False
            try:
                field.to_datetime(value) if field.type == "datetime" else field.to_date(value)
            except ValueError:
                return False
            return True
        if field.type == "selection" and isinstance(field.selection, (list, tuple)):
            return value in {key for key, _label in field.selection}
        return True

    def _clinic_check_create(self, vals_list):
        """Call first in ``create``, before the model adds its own values."""
        for vals in vals_list:
            self._clinic_check_vals(vals)

    def _clinic_check_write(self, vals):
        """Call first in ``write``."""
        self._clinic_check_vals(vals)
        if not self.env.su:
            self._clinic_check_user_write(vals)

    def _clinic_check_user_write(self, vals):
        """Hook: refuse a user's write of allowed fields in the wrong state."""
