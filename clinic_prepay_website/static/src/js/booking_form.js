/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import publicWidget from "@web/legacy/js/public/public_widget";
import { ReCaptcha } from "@google_recaptcha/js/recaptcha";
import { session } from "@web/session";

/**
 * The booking form proves a human holds the slot with Odoo's own reCAPTCHA
 * (a token added on submit) and Cloudflare Turnstile (its widget in the
 * form), each only when the clinic configured it.
 */
publicWidget.registry.ClinicBookForm = publicWidget.Widget.extend({
    selector: ".o_clinic_book_form",
    events: {
        submit: "_onSubmit",
    },

    init() {
        this._super(...arguments);
        this._recaptcha = new ReCaptcha();
    },

    willStart() {
        this._recaptcha.loadLibs();
        return this._super(...arguments);
    },

    start() {
        const res = this._super(...arguments);
        if (session.turnstile_site_key) {
            // not a dependency: loaded only where the clinic installed it
            const { turnStile } = odoo.loader.modules.get("@website_cf_turnstile/js/turnstile");
            const button = this.el.querySelector("button[type='submit']");
            const nodes = turnStile.addTurnstile.call(this, "clinic_booking");
            if (nodes) {
                turnStile.addSpinnerNoMangle(button);
                nodes.insertBefore(button);
                turnStile.renderTurnstile(nodes);
            }
        }
        return res;
    },

    async _onSubmit(ev) {
        if (!session.recaptcha_public_key || this._tokenAdded) {
            return;
        }
        ev.preventDefault();
        const button = this.el.querySelector("button[type='submit']");
        button.disabled = true;
        const result = await this._recaptcha.getToken("clinic_booking");
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = "recaptcha_token_response";
        input.value = result.token || "";
        this.el.appendChild(input);
        this._tokenAdded = true;
        this.el.submit();
    },
});
