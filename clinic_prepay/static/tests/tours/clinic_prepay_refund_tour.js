/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("clinic_prepay_refund_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Clinic app",
            trigger: '.o_app[data-menu-xmlid="clinic_prepay.menu_clinic_root"]',
            run: "click",
        },
        {
            content: "The calendar is loaded",
            trigger: ".o_calendar_view .fc-view",
        },
        {
            content: "Open the refunds to approve",
            trigger: '.o_main_navbar a[data-menu-xmlid="clinic_prepay.menu_clinic_refund_request"]',
            run: "click",
        },
        {
            content: "Open the request of the cancelled booking",
            trigger: '.o_data_row td[name="patient_id"]:contains("Refund Patient")',
            run: "click",
        },
        {
            content: "Approve it",
            trigger: 'button[name="action_approve"]',
            run: "click",
        },
        {
            content: "Approved",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Approved")',
        },
        {
            content: "Refund now",
            trigger: 'button[name="action_execute"]',
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "The money went back",
            trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Refunded")',
        },
        {
            content: "The credit note is linked",
            trigger: '.o_field_widget[name="credit_note_id"] a, .o_field_widget[name="credit_note_id"]:contains("RINV")',
        },
    ],
});
