# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import re

from odoo import api, fields, models
from odoo.osv import expression

# A payout quoted on the bank line that receives it: po_1PxYz...
PAYOUT_PATTERN = re.compile(r"\bpo_[A-Za-z0-9]+\b")


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    stripe_source_id = fields.Char(
        string="Stripe Object",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The Stripe object behind this imported balance transaction: a charge, "
        "refund, dispute or payout.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            txn = self._stripe_parse_balance_transaction(vals.get("raw_data"))
            if txn and not vals.get("stripe_source_id"):
                vals["stripe_source_id"] = _source_id(txn)
        st_lines = super().create(vals_list)
        st_lines._stripe_match()
        return st_lines

    def action_stripe_match(self):
        """Match again the selected lines that are still open (a dispute lost
        after its statement was imported, a payment posted late)."""
        self._stripe_match()
        return True

    # ------------------------------------------------------------------------
    # Stripe balance transactions
    # ------------------------------------------------------------------------

    @api.model
    def _stripe_parse_balance_transaction(self, raw_data):
        """The balance transaction (dict) the Stripe importer stores in
        ``raw_data``, or None for any other line."""
        if not raw_data:
            return None
        try:
            txn = json.loads(raw_data)
        except ValueError:
            return None
        if isinstance(txn, dict) and txn.get("object") == "balance_transaction":
            return txn
        return None

    def _stripe_match(self):
        """Reconcile the open lines imported from Stripe with what they pay
        or collect, and bank lines quoting a Stripe payout with that payout.

        Charges match their payment transaction's payment, refunds their
        refund transaction's payment, a lost dispute the outbound payment and
        the fee entry referencing it, processing fees the provider's fees
        account and payouts the company's liquidity transfer account. A line
        nothing matches exactly stays open for the accountant.
        """
        open_lines = self.filtered(lambda line: not line.is_reconciled)
        stripe_lines = open_lines.filtered(
            lambda line: (
                line.journal_id.online_bank_statement_provider == "stripe"
                and line.stripe_source_id
            )
        )
        payouts = stripe_lines._stripe_reconcile_balance_transactions()
        bank_lines = (open_lines - stripe_lines).filtered(
            lambda line: PAYOUT_PATTERN.search(line._stripe_label())
        )
        if payouts:
            bank_lines |= payouts._stripe_find_payout_bank_lines()
        bank_lines._stripe_reconcile_payout_bank_lines()

    def _stripe_reconcile_balance_transactions(self):
        """Match Stripe lines; return the payout lines reconciled."""
        if not self:
            return self
        items = []  # (line, balance transaction, is_fee)
        for line in self:
            txn = self._stripe_parse_balance_transaction(line.raw_data)
            if txn:
                items.append((line, txn, (line.unique_import_id or "").endswith("_fee")))
        counterparts = self._stripe_find_counterparts(items)
        payouts = self.browse()
        for line, txn, is_fee in items:
            source_id = line.stripe_source_id
            if is_fee:
                if source_id.startswith("dp_"):
                    line._stripe_reconcile_with(moves=counterparts.get(("fee", source_id)))
                else:
                    provider = line.journal_id.online_bank_statement_provider_id
                    line._stripe_reconcile_with(account=provider.stripe_fee_account_id)
            elif source_id.startswith("po_") or txn.get("type") == "payout":
                if line._stripe_reconcile_with(account=line.company_id.transfer_account_id):
                    payouts |= line
            else:
                key = _payment_key(txn, source_id)
                moves = counterparts.get(key) if key else None
                line._stripe_reconcile_with(moves=moves)
        return payouts

    def _stripe_find_counterparts(self, items):
        """The journal entries the balance transactions settle, found in one
        search per kind: ``{key: account.move recordset}`` where key is
        ``("pi", pi_…)``, ``("re", re_…)``, ``("dp", dp_…)`` (the lost
        dispute's payment) or ``("fee", dp_…)`` (the dispute fee entry)."""
        intents, refunds, disputes = set(), set(), set()
        for _line, txn, is_fee in items:
            source_id = _source_id(txn)
            if source_id.startswith("dp_"):
                disputes.add(source_id)
            elif not is_fee:
                key = _payment_key(txn, source_id)
                if key and key[0] == "pi":
                    intents.add(key[1])
                elif key and key[0] == "re":
                    refunds.add(key[1])
        companies = self.company_id
        found = {}
        if intents or refunds:
            txs = (
                self.env["payment.transaction"]
                .sudo()
                .search(
                    [
                        ("provider_id.code", "=", "stripe"),
                        ("company_id", "in", companies.ids),
                        ("state", "=", "done"),
                        ("provider_reference", "in", list(intents | refunds)),
                    ]
                )
            )
            for tx in txs:
                kind = "re" if tx.operation == "refund" else "pi"
                found[(kind, tx.provider_reference)] = tx.payment_id.move_id
        if disputes:
            payments = self.env["account.payment"].search(
                [
                    ("company_id", "in", companies.ids),
                    ("payment_type", "=", "outbound"),
                    ("state", "in", ("in_process", "paid")),
                    ("payment_reference", "in", list(disputes)),
                ]
            )
            for payment in payments:
                key = ("dp", payment.payment_reference)
                found[key] = found.get(key, self.env["account.move"]) | payment.move_id
            fee_moves = self.env["account.move"].search(
                [
                    ("company_id", "in", companies.ids),
                    ("move_type", "=", "entry"),
                    ("state", "=", "posted"),
                    ("origin_payment_id", "=", False),
                    ("statement_line_id", "=", False),
                    ("ref", "in", list(disputes)),
                ]
            )
            for move in fee_moves:
                key = ("fee", move.ref)
                found[key] = found.get(key, self.env["account.move"]) | move
        return found

    def _stripe_open_counterpart_lines(self, moves):
        """The open items of ``moves`` this line can settle: reconcilable
        accounts other than receivables and payables (the outstanding
        receipts or payments of a payment, the liquidity transfer account),
        on the side the line's money moves."""
        self.ensure_one()
        return moves.line_ids.filtered(
            lambda aml: (
                aml.account_id.reconcile
                and aml.account_id.account_type not in ("asset_receivable", "liability_payable")
                and not aml.reconciled
                and aml.parent_state == "posted"
                and aml.company_id == self.company_id
                and aml.currency_id == self.currency_id
                and self.currency_id.compare_amounts(aml.amount_residual_currency, 0.0)
                == self.currency_id.compare_amounts(self.amount, 0.0)
            )
        )

    def _stripe_reconcile_with(self, moves=None, account=None):
        """Reconcile this line with the open items of ``moves`` when they
        settle it exactly, or book it on ``account``, through
        account_reconcile_oca as the reconciliation widget would. Return
        whether the line is reconciled."""
        self.ensure_one()
        if self.is_reconciled or self.foreign_currency_id:
            return False
        currency = self.currency_id
        new_lines = []
        if moves:
            amls = self._stripe_open_counterpart_lines(moves)
            total = sum(amls.mapped("amount_residual_currency"))
            if not amls or currency.compare_amounts(total, self.amount):
                return False
            for aml in amls:
                new_lines += self._get_reconcile_line(
                    aml, "other", is_counterpart=True, move=True
                )[1]
        elif account:
            new_lines.append(self._stripe_account_line_data(account))
        else:
            return False
        data = []
        liquidity_lines, _suspense_lines, _other_lines = self._seek_for_lines()
        for liquidity in liquidity_lines:
            data += self._get_reconcile_line(liquidity, "liquidity", move=True)[1]
        result = self._recompute_suspense_line(data + new_lines, 2, False)
        if not result.get("can_reconcile"):
            return False
        self.reconcile_mode = self.journal_id.reconcile_mode
        getattr(self, f"_reconcile_bank_line_{self.reconcile_mode}")(
            self._prepare_reconcile_line_data(result["data"])
        )
        self.reconcile_data = False
        return self.is_reconciled

    def _stripe_account_line_data(self, account):
        """The widget's data of a counterpart booking the whole line on ``account``."""
        self.ensure_one()
        amount = -self.amount
        return {
            "reference": "reconcile_auxiliary;1",
            "id": False,
            "account_id": [account.id, account.display_name],
            "partner_id": False,
            "date": fields.Date.to_string(self.date),
            "name": self.payment_ref,
            "amount": amount,
            "debit": amount if amount > 0 else 0.0,
            "credit": -amount if amount < 0 else 0.0,
            "kind": "other",
            "currency_id": self.company_id.currency_id.id,
            "line_currency_id": self.currency_id.id,
            "currency_amount": amount,
        }

    # ------------------------------------------------------------------------
    # Payouts arriving on the bank account
    # ------------------------------------------------------------------------

    def _stripe_label(self):
        self.ensure_one()
        return " ".join(filter(None, (self.payment_ref, self.ref, self.narration or "")))

    def _stripe_find_payout_bank_lines(self):
        """Open lines of other bank journals quoting these payouts."""
        payout_ids = [line.stripe_source_id for line in self if line.stripe_source_id]
        if not payout_ids:
            return self.browse()
        domain = expression.OR(
            [
                expression.OR([[("payment_ref", "ilike", po)], [("ref", "ilike", po)]])
                for po in payout_ids
            ]
        )
        return self.search(
            expression.AND(
                [
                    domain,
                    [
                        ("company_id", "in", self.company_id.ids),
                        ("journal_id", "not in", self.journal_id.ids),
                        ("is_reconciled", "=", False),
                    ],
                ]
            )
        )

    def _stripe_reconcile_payout_bank_lines(self):
        """Reconcile bank lines quoting a Stripe payout with the payout's
        line on the liquidity transfer account."""
        if not self:
            return
        wanted = {}
        for line in self:
            for po in PAYOUT_PATTERN.findall(line._stripe_label()):
                wanted.setdefault(po, self.browse())
                wanted[po] |= line
        payouts = self.search(
            [
                ("stripe_source_id", "in", list(wanted)),
                ("company_id", "in", self.company_id.ids),
                ("is_reconciled", "=", True),
            ]
        ).filtered(lambda line: not line._stripe_is_fee_line())
        for payout in payouts:
            for line in wanted[payout.stripe_source_id]:
                line._stripe_reconcile_with(moves=payout.move_id)

    def _stripe_is_fee_line(self):
        self.ensure_one()
        return (self.unique_import_id or "").endswith("_fee")


def _source_id(txn):
    """Id of the balance transaction's source, expanded or not."""
    source = txn.get("source")
    if isinstance(source, dict):
        return source.get("id") or ""
    return source or ""


def _payment_key(txn, source_id):
    """``("pi", pi_…)`` for a charge, ``("re", re_…)`` for a refund, ``("dp",
    dp_…)`` for a dispute, else None."""
    if source_id.startswith("dp_"):
        return ("dp", source_id)
    if source_id.startswith("re_") or source_id.startswith("pyr_"):
        return ("re", source_id)
    source = txn.get("source")
    if txn.get("type") in ("charge", "payment") and isinstance(source, dict):
        intent = source.get("payment_intent")
        if isinstance(intent, dict):
            intent = intent.get("id")
        if intent:
            return ("pi", intent)
    return None
