# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ClinicTreatmentCancelTier(models.Model):
    """One step of a treatment's cancellation policy: a patient cancelling
    less than ``hours_before`` hours before the visit loses ``percent_kept``
    % of what is at stake (the deposit paid, or the price for a card on
    file), unless a closer tier applies. Earlier than every tier, the
    cancellation is free."""

    _name = "clinic.treatment.cancel.tier"
    _description = "Clinic Treatment Cancellation Tier"
    _order = "treatment_id, hours_before desc, id"
    _rec_name = "hours_before"

    treatment_id = fields.Many2one(
        "clinic.treatment", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="treatment_id.company_id", store=True)
    hours_before = fields.Float(
        string="Less Than (hours before)",
        required=True,
        help="The tier applies to a cancellation less than this many hours before the visit.",
    )
    percent_kept = fields.Float(
        string="Kept (%)",
        digits=(5, 2),
        help="Part of what is at stake the clinic keeps for a cancellation in this tier.",
    )

    @api.depends("hours_before", "percent_kept")
    def _compute_display_name(self):
        """``< 24 h: 50 %``, as the policy lists it."""
        for tier in self:
            tier.display_name = self.env._(
                "< %(hours)s h: %(percent)s %%",
                hours=format(tier.hours_before, "g"),
                percent=format(tier.percent_kept, "g"),
            )

    @api.constrains("treatment_id", "hours_before", "percent_kept")
    def _check_tiers(self):
        """Hours above zero, percents between 0 and 100, one tier per hours
        and a policy that never keeps less as the visit nears; one error
        listing every offending treatment."""
        errors = []
        for treatment in self.treatment_id:
            tiers = treatment.cancel_tier_ids
            name = treatment.name
            if any(tier.hours_before <= 0 for tier in tiers):
                errors.append(
                    self.env._(
                        "%(name)s: a cancellation tier starts a positive number of hours"
                        " before the visit.",
                        name=name,
                    )
                )
            if any(not 0.0 <= tier.percent_kept <= 100.0 for tier in tiers):
                errors.append(
                    self.env._(
                        "%(name)s: the part kept by a cancellation tier is between 0 and 100 %%.",
                        name=name,
                    )
                )
            hours = tiers.mapped("hours_before")
            if len(set(hours)) != len(hours):
                errors.append(
                    self.env._(
                        "%(name)s: two cancellation tiers start at the same number of hours.",
                        name=name,
                    )
                )
            # from the furthest tier to the closest one, the part kept grows
            ordered = tiers.sorted(lambda t: -t.hours_before)
            if any(
                later.percent_kept < earlier.percent_kept for earlier, later in pairwise(ordered)
            ):
                errors.append(
                    self.env._(
                        "%(name)s: a cancellation closer to the visit cannot keep less than an"
                        " earlier one.",
                        name=name,
                    )
                )
        if errors:
            raise ValidationError("\n".join(errors))
