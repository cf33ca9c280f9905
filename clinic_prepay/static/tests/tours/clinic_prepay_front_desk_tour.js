/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// The test gives the time to book (a bookable time of the fixture, as the
// desk reads it off the practitioner's calendar) in the URL the tour starts
// from (so the tour names no URL of its own to redirect to); the web
// client's router has rewritten the address bar since.
function timeToBook() {
    const [navigation] = performance.getEntriesByType("navigation");
    return new URL(navigation.name).searchParams.get("clinic_start");
}

registry.category("web_tour.tours").add("clinic_prepay_front_desk_tour", {
    steps: () => {
        const start = timeToBook();
        return [
            stepUtils.showAppsMenuItem(),
            {
                content: "Open the Clinic app",
                trigger: '.o_app[data-menu-xmlid="clinic_prepay.menu_clinic_root"]',
                run: "click",
            },
            {
                content: "The appointments open on the calendar",
                trigger: ".o_calendar_view",
            },
            {
                content: "The calendar is loaded",
                trigger: ".o_calendar_view .fc-view",
            },
            {
                content: "Switch to the list",
                trigger: ".o_switch_view.o_list",
                run: "click",
            },
            {
                content: "New appointment during the call",
                trigger: ".o_list_button_add",
                run: "click",
            },
            {
                content: "A new patient calls",
                trigger: '.o_field_widget[name="patient_id"] input',
                run: "edit Tour New Caller",
            },
            {
                content: "Register them on the spot",
                trigger: ".o_m2o_dropdown_option_create",
                run: "click",
            },
            {
                content: "The new patient is on the booking",
                trigger: '.o_field_widget[name="patient_id"] input:value("Tour New Caller")',
            },
            {
                content: "Treatment",
                trigger: '.o_field_widget[name="treatment_id"] input',
                run: "edit Tour Botox",
            },
            {
                content: "Pick the treatment",
                trigger: '.o-autocomplete--dropdown-item:contains("Tour Botox")',
                run: "click",
            },
            {
                content: "The treatment's only practitioner is proposed",
                trigger: '.o_field_widget[name="practitioner_id"] input:value("Tour Desk")',
            },
            {
                content: "Start",
                trigger: '.o_field_widget[name="start"] input',
                run: `edit ${start}`,
            },
            {
                content: "The deposit comes from the treatment",
                trigger: '.o_field_widget[name="deposit_required"]:contains("50.00")',
            },
            {
                content: "Book",
                trigger: 'button[name="action_book"]',
                run: "click",
            },
            {
                content: "The booking waits for the deposit",
                trigger:
                    '.o_statusbar_status button.o_arrow_button_current:contains("Awaiting Payment")',
            },
            {
                content: "The patient pays at the desk",
                trigger: 'button[name="action_register_payment"]',
                run: "click",
            },
            {
                content: "The whole deposit is due",
                trigger: '.modal .o_field_widget[name="amount"]:contains("50.00")',
            },
            {
                content: "The money is in the till",
                trigger: '.modal button[name="action_confirm"]',
                run: "click",
            },
            {
                content: "The appointment is confirmed",
                trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Confirmed")',
            },
            {
                content: "and shows what was paid",
                trigger: '.o_field_widget[name="payment_status"]:contains("Paid")',
            },
        ];
    },
});
