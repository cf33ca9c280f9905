/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

// On a phone: a patient joins a plan from the portal, pays the first period
// on Odoo's payment form (the card is saved with it), finds the membership
// in the wallet, then cancels it at the end of the minimum term.
registry.category("web_tour.tours").add("clinic_membership_patient_tour", {
    url: "/my/memberships",
    steps: () => [
        {
            content: "The plan's benefits and terms are shown",
            trigger: ".o_clinic_membership_plan:contains(Tour Glow):contains(No deposit when you book):contains(69 a month to my card)",
        },
        {
            content: "Accept the terms",
            trigger: ".o_clinic_membership_plan:contains(Tour Glow) input[name='accept_terms']",
            run: "check",
        },
        {
            content: "Sign up and pay",
            trigger: ".o_clinic_membership_plan:contains(Tour Glow) button.o_clinic_membership_join",
            run: "click",
        },
        {
            content: "Odoo's payment form asks the first period",
            trigger: "main:has(.o_payment_form):contains(69.00)",
        },
        {
            content: "Card details (demo provider)",
            trigger: "input[name='customer_input']",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: "button[name='o_payment_submit_button']",
            run: "click",
        },
        {
            content: "Back on the membership: active, with its credit and the saved card",
            trigger: ".o_portal_clinic_membership .o_clinic_membership_card:contains(Active):contains(4242) .o_clinic_membership_credits:contains(1)",
        },
        {
            content: "The first period is paid",
            trigger: ".o_clinic_membership_history tbody tr:first:contains(Paid)",
        },
        {
            content: "Cancel at the end of the minimum term",
            trigger: "button.o_clinic_membership_cancel",
            run: "click",
        },
        {
            content: "The membership ends on the date announced",
            trigger: ".o_portal_clinic_membership .alert-success:contains(Your membership ends on)",
        },
        {
            content: "No cancel button any more; the end date is on the card",
            trigger: ".o_clinic_membership_card .o_clinic_membership_ends:not(:empty)",
        },
        {
            content: "The wallet shows the membership too",
            trigger: "body",
            run: () => {
                window.location.href = "/my/wallet";
            },
        },
        {
            content: "Plan, status and end date in the wallet",
            trigger: ".o_clinic_membership_card:contains(Tour Glow) .o_clinic_membership_ends",
        },
    ],
});
