from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class OtcStatementWizard(models.TransientModel):
    """The collectors' *Statement* screen: a customer, a company and a period
    given to the statement report (``report.otc_collections.
    report_otc_statement``), which makes the figures, the PDF and the XLSX.
    """

    _name = "otc.statement.wizard"
    _inherit = ["otc.xlsx.mixin"]
    _description = "Customer Statement"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: self._default_date_from(),
    )
    date_to = fields.Date(
        string="To",
        required=True,
        default=fields.Date.context_today,
    )

    @api.model
    def _report(self):
        return self.env["report.otc_collections.report_otc_statement"]

    @api.model
    def _default_date_from(self, date_to=None):
        return self._report()._default_date_from(date_to)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if "partner_id" in fields_list and not values.get("partner_id"):
            if context.get("active_model") == "res.partner" and context.get(
                "active_id"
            ):
                partner = self.env["res.partner"].browse(context["active_id"])
                values["partner_id"] = partner.commercial_partner_id.id
        return values

    @api.model
    def _action_open(self, partner, company):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer Statement"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": partner.commercial_partner_id.id,
                "default_company_id": company.id,
            },
        }

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_to < wizard.date_from:
                raise ValidationError(
                    self.env._("The statement period ends before it starts.")
                )

    def _customer(self):
        return self.partner_id.commercial_partner_id

    def _statement_data(self):
        """The statement as plain data (see the statement report)."""
        self.ensure_one()
        return self._report()._otc_statement_data(
            self._customer(), self.company_id, self.date_from, self.date_to
        )

    def _report_data(self):
        self.ensure_one()
        return self._report()._otc_report_data(
            self.company_id, self.date_from, self.date_to
        )

    def action_print(self):
        self.ensure_one()
        self._statement_data()  # access and sanity checks before rendering
        return self.env.ref(
            "otc_collections.action_report_otc_statement"
        ).report_action(self._customer(), data=self._report_data())

    def action_export_xlsx(self):
        self.ensure_one()
        content, filename = self._report()._otc_render(
            self._customer(), self.company_id, self.date_from, self.date_to, "xlsx"
        )
        return self._otc_download(content, filename)

    def action_send_email(self):
        self.ensure_one()
        self._statement_data()  # access and sanity checks before sending
        customer = self._customer()
        if not customer.email:
            raise UserError(
                self.env._(
                    "%s has no email address: the statement cannot be sent.",
                    customer.display_name,
                )
            )
        template = self.env.ref("otc_collections.mail_template_otc_statement")
        # The template (on the customer) and its report read the period from
        # the context.
        period = dict(
            self._report_data(),
            company_name=self.company_id.name,
            email_from=self.company_id.email_formatted or self.env.user.email_formatted,
        )
        template.with_context(otc_statement=period).send_mail(
            customer.id, email_layout_xmlid="mail.mail_notification_light"
        )
        # Collectors note the sending on the customer without the right to
        # edit contacts.
        customer._otc_log_note(
            self.env._(
                "Statement of account from %(start)s to %(end)s sent to %(email)s.",
                start=self.date_from,
                end=self.date_to,
                email=customer.email,
            ),
            message_type="comment",
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("The statement was sent to %s.", customer.email),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
