/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";
import { waitFor } from "@odoo/hoot-dom";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// The tours move a booking relative to its own day (which the test takes
// from the fixture's bookable time), never relative to "today".
const { DateTime } = luxon;
const DATETIME_FORMAT = "MM/dd/yyyy HH:mm:ss";

registry.category("web_tour.tours").add("clinic_prepay_practitioner_moves_event_tour", {
    steps: () => [
        {
            content: "The booking's event, in the Calendar app",
            trigger: '.o_form_view .o_field_widget[name="start"] input',
            async run(helpers) {
                // the day after the booking, at 11:00 (a UTC user)
                const start = DateTime.fromFormat(helpers.anchor.value, DATETIME_FORMAT);
                const moved = start.plus({ days: 1 }).set({ hour: 11, minute: 0, second: 0 });
                await helpers.edit(moved.toFormat(DATETIME_FORMAT));
            },
        },
        {
            content: "Save the new time",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view:not(:has(.o_form_button_save:visible))",
        },
    ],
});

registry.category("web_tour.tours").add("clinic_prepay_manager_policies_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Clinic app",
            trigger: '.o_app[data-menu-xmlid="clinic_prepay.menu_clinic_root"]',
            run: "click",
        },
        {
            content: "The app opens on the calendar",
            trigger: ".o_calendar_view .fc-view",
        },
        {
            content: "Configuration",
            trigger: '.o_main_navbar button[data-menu-xmlid="clinic_prepay.menu_clinic_config"]',
            run: "click",
        },
        {
            content: "The clinic's policies",
            trigger: '.o-dropdown--menu a[data-menu-xmlid="clinic_prepay.menu_clinic_policies"]',
            run: "click",
        },
        {
            content: "Free cancellation up to 36 hours before",
            trigger: '.o_field_widget[name="clinic_free_cancel_hours"] input',
            run: "edit 36",
        },
        {
            content: "Save",
            trigger: "button.o_clinic_settings_save",
            run: "click",
        },
        {
            // the save reloads the policies: wait for the reloaded, clean form
            content: "Saved and shown again",
            trigger:
                '.o_form_view:not(:has(.o_form_dirty)) .o_field_widget[name="clinic_free_cancel_hours"] input:value("36.00")',
        },
    ],
});

registry.category("web_tour.tours").add("clinic_prepay_accountant_ledger_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "The accountant opens the Clinic app",
            trigger: '.o_app[data-menu-xmlid="clinic_prepay.menu_clinic_root"]',
            run: "click",
        },
        {
            content: "The app opens on the calendar",
            trigger: ".o_calendar_view .fc-view",
        },
        {
            content: "The deposit account",
            trigger:
                '.o_main_navbar a[data-menu-xmlid="clinic_prepay.menu_clinic_deposit_ledger"]',
            run: "click",
        },
        {
            content: "Its journal items, by patient",
            trigger: '.o_list_view .o_group_name:contains("Lena Ledger")',
            run: "click",
        },
        {
            content: "The deposit received",
            trigger: '.o_list_view .o_data_row:contains("DEP/")',
        },
    ],
});

registry.category("web_tour.tours").add("clinic_prepay_practitioner_drags_event_tour", {
    steps: () => [
        {
            content: "Open the scale selector of the Calendar app",
            trigger: ".scale_button_selection",
            run: "click",
        },
        {
            content: "The month",
            trigger: ".o_scale_button_month",
            run: "click",
        },
        {
            content: "The month is shown",
            trigger: ".fc-dayGridMonth-view",
        },
        {
            content: "Drag the booking one day later; it shows on that day",
            trigger: 'a.fc-event:contains("Dana Dragged")',
            async run(helpers) {
                const day = helpers.anchor.closest(".fc-daygrid-day").dataset.date;
                const next = DateTime.fromISO(day).plus({ days: 1 }).toISODate();
                const cell = `.fc-daygrid-day[data-date="${next}"]`;
                await helpers.drag_and_drop(`${cell} .fc-daygrid-day-events`);
                await waitFor(`${cell} a.fc-event:contains("Dana Dragged")`, { timeout: 10000 });
            },
        },
    ],
});
