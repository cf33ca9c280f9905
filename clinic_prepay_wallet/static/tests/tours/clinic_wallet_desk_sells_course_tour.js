/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// The desk sells a course during a call: the patient gets the payment link.
registry.category("web_tour.tours").add("clinic_wallet_desk_sells_course_tour", {
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Clinic app",
            trigger: '.o_app[data-menu-xmlid="clinic_prepay.menu_clinic_root"]',
            run: "click",
        },
        {
            content: "Open the courses menu",
            trigger: '.o_menu_sections [data-menu-xmlid="clinic_prepay_wallet.menu_clinic_wallet"]',
            run: "click",
        },
        {
            content: "Sell a course",
            trigger: '.dropdown-item[data-menu-xmlid="clinic_prepay_wallet.menu_clinic_wallet_sell"]',
            run: "click",
        },
        {
            content: "The sale form is open",
            trigger: '.modal .o_form_view .o_field_widget[name="program_id"]',
        },
        {
            content: "The caller",
            trigger: '.modal .o_field_widget[name="partner_id"] input',
            run: "click",
        },
        {
            // the unfiltered list has answered: its late answer cannot
            // replace the filtered one typed next
            content: "The list of contacts is open",
            trigger: ".o-autocomplete--dropdown-menu .o-autocomplete--dropdown-item",
            // the contacts' search can take long on a loaded machine
            timeout: 30000,
        },
        {
            content: "Type the caller's name",
            trigger: '.modal .o_field_widget[name="partner_id"] input',
            run: "edit Tour Course Caller",
        },
        {
            content: "Pick the caller",
            trigger: '.o-autocomplete--dropdown-item:contains("Tour Course Caller")',
            timeout: 30000,
            run: "click",
        },
        {
            content: "The course",
            trigger: '.modal .o_field_widget[name="program_id"] input',
            run: "edit Tour Six Peels",
        },
        {
            content: "Pick the course",
            trigger: '.o-autocomplete--dropdown-item:contains("Tour Six Peels")',
            run: "click",
        },
        {
            content: "The desk reads out the price and the sessions",
            trigger: '.modal .o_field_widget[name="amount_total"]:contains("480.00")',
        },
        {
            content: "Six sessions",
            trigger: '.modal .o_field_widget[name="session_count"]:contains("6")',
        },
        {
            content: "Send the payment link",
            trigger: '.modal button[name="action_send_link"]',
            run: "click",
        },
        {
            content: "The course waits for its payment",
            trigger: '.o_form_view .o_statusbar_status .o_arrow_button_current:contains("Awaiting Payment")',
        },
        {
            content: "Its link can be sent again",
            trigger: '.o_form_view button[name="action_send_payment_link"]',
        },
    ],
});
