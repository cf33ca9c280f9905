/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("clinic_prepay_desk_books_laser_tour", {
    steps: () => [
        {
            content: "The draft appointment: its treatment needs the laser",
            trigger: ".o_form_view .o_field_widget[name='treatment_id'] input:value(Tour Resurfacing)",
        },
        {
            content: "Book it",
            trigger: ".o_form_view button[name='action_book']",
            run: "click",
        },
        {
            content: "Booked, with the laser taken",
            trigger: ".o_field_widget[name='resource_ids']:contains(Tour laser)",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Confirmed)",
        },
    ],
});

registry.category("web_tour.tours").add("clinic_prepay_desk_drags_onto_taken_laser_tour", {
    steps: () => [
        {
            content: "Open the scale selector",
            trigger: ".scale_button_selection",
            run: "click",
        },
        {
            content: "Show the day",
            trigger: ".o_scale_button_day",
            run: "click",
        },
        {
            content: "Both bookings of the day are shown",
            trigger: ".fc-timeGridDay-view .fc-event:contains(Other Patient)",
        },
        {
            content: "Drag the desk's booking onto the time when the laser is taken",
            trigger: ".fc-event:contains(Tour Laser Patient)",
            run: "drag_and_drop .fc-event:contains(Other Patient)",
        },
        {
            content: "Refused clearly: the laser is booked then",
            trigger: ".modal .modal-body:contains(No Tour laser kind is free):contains(Tour laser is already booked)",
        },
        {
            content: "Close the message",
            trigger: ".modal .modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "Nothing moved",
            trigger: ".fc-timeGridDay-view .fc-event:contains(Tour Laser Patient)",
        },
        {
            content: "Drag it onto a free afternoon time",
            trigger: ".fc-event:contains(Tour Laser Patient)",
            run: "drag_and_drop .fc-timegrid-slot-lane[data-time='14:00:00']",
        },
        {
            content: "It moves, without an error",
            trigger: ".fc-event:contains(Tour Laser Patient)",
            run() {
                if (document.querySelector(".modal .modal-body")) {
                    throw new Error(document.querySelector(".modal .modal-body").textContent);
                }
            },
        },
    ],
});
