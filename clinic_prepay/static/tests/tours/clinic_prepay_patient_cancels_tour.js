/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("clinic_prepay_patient_cancels_tour", {
    steps: () => [
        {
            content: "The confirmed appointment offers to cancel",
            trigger: "a.o_clinic_cancel",
            run: "click",
        },
        {
            content: "Before confirming, what the policy gives back",
            trigger: ".o_clinic_refund_preview:contains(30.00)",
        },
        {
            content: "Cancel",
            trigger: "button.o_clinic_cancel_confirm",
            run: "click",
        },
        {
            content: "Cancelled, and the refund is requested",
            trigger: ".o_clinic_refunds .o_clinic_refund_status:contains(Refund of):contains(30.00):contains(on its way)",
        },
    ],
});
