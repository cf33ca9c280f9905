/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

// On a phone: a visitor buys a gift card for a friend and pays it on
// Odoo's payment form.
registry.category("web_tour.tours").add("clinic_wallet_visitor_buys_gift_card_tour", {
    url: "/gift-cards",
    steps: () => [
        {
            content: "The amount",
            trigger: "form.o_clinic_gift_card_buy input[name='amount']",
            run: "edit 60",
        },
        {
            content: "For whom",
            trigger: "input[name='recipient_name']",
            run: "edit Rita Recipient",
        },
        {
            content: "Their email: the code goes there",
            trigger: "input[name='recipient_email']",
            run: "edit rita@example.com",
        },
        {
            content: "A message",
            trigger: "textarea[name='message']",
            run: "edit Enjoy a facial!",
        },
        {
            content: "The buyer's name",
            trigger: "input[name='name']",
            run: "edit Sam Sender",
        },
        {
            content: "The buyer's email",
            trigger: "input[name='email']",
            run: "edit sam@example.com",
        },
        {
            content: "Continue to payment",
            trigger: "button.o_clinic_gift_card_pay",
            run: "click",
        },
        {
            content: "Odoo's payment form asks the card's amount",
            trigger: "main:has(.o_payment_form):contains(60.00)",
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
            content: "Thanked: the recipient gets the code by mail",
            trigger: ".o_clinic_gift_card_paid:contains(recipient gets the gift card's code)",
        },
    ],
});

// On a phone: the recipient books a visit and pays the deposit with the
// code of the card bought in the tour above (the test gives it this code).
registry.category("web_tour.tours").add("clinic_wallet_recipient_books_with_code_tour", {
    url: "/book",
    steps: () => [
        {
            content: "Choose the treatment",
            trigger: "a.o_clinic_book_treatment:contains(Tour Facial)",
            run: "click",
        },
        {
            content: "Go to next week",
            trigger: "a.o_clinic_next_week",
            run: "click",
        },
        {
            content: "Choose the first free time",
            trigger: ".o_clinic_day a.o_clinic_slot",
            run: "click",
        },
        {
            content: "Name",
            trigger: "input[name='name']",
            run: "edit Rita Recipient",
        },
        {
            content: "Email",
            trigger: "input[name='email']",
            run: "edit rita@example.com",
        },
        {
            content: "Phone",
            trigger: "input[name='phone']",
            run: "edit +32 470 00 00 01",
        },
        {
            content: "The gift card's code",
            trigger: "input[name='gift_card_code']",
            run: "edit gyft-card-tvr2-3456",
        },
        {
            content: "Accept the policy",
            trigger: "input[name='consent']",
            run: "check",
        },
        {
            content: "Book",
            trigger: "button.o_clinic_hold",
            run: "click",
        },
        {
            content: "Confirmed: the gift card paid the deposit",
            trigger: ".o_portal_clinic_appointment:contains(Confirmed):contains(Paid by gift card)",
        },
    ],
});
