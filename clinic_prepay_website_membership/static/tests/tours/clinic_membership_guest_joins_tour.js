/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

// On a phone, without an account: a visitor joins a plan from the website,
// pays the first period (the card is saved with it) and lands on the
// membership's page.
registry.category("web_tour.tours").add("clinic_membership_guest_joins_tour", {
    url: "/memberships",
    steps: () => [
        {
            content: "The plan, its price and benefits",
            trigger: ".o_clinic_membership_plan:contains(Web Glow):contains(49.00):contains(No deposit when you book)",
        },
        {
            content: "Name",
            trigger: ".o_clinic_membership_plan:contains(Web Glow) input[name='name']",
            run: "edit Gail Guest",
        },
        {
            content: "Email",
            trigger: ".o_clinic_membership_plan:contains(Web Glow) input[name='email']",
            run: "edit gail@example.com",
        },
        {
            content: "Accept the terms",
            trigger: ".o_clinic_membership_plan:contains(Web Glow) input[name='accept_terms']",
            run: "check",
        },
        {
            content: "Sign up and pay",
            trigger: ".o_clinic_membership_plan:contains(Web Glow) button.o_clinic_membership_join",
            run: "click",
        },
        {
            content: "Odoo's payment form asks the first period",
            trigger: "main:has(.o_payment_form):contains(49.00)",
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
            content: "The membership's page: active, its credit and the card",
            trigger: ".o_portal_clinic_membership .o_clinic_membership_card:contains(Active):contains(4242) .o_clinic_membership_credits:contains(1)",
        },
    ],
});
