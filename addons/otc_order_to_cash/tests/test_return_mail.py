from odoo.tests import tagged

from .test_returns import OtcReturnCommon


@tagged("post_install", "-at_install")
class TestReturnMail(OtcReturnCommon):
    """The customer is emailed with the step's own template at approval,
    refusal, receipt and credit."""

    def template_messages(self, ret, xmlid):
        template = self.env.ref(xmlid)
        subject = template._render_field("subject", ret.ids)[ret.id]
        return ret.message_ids.filtered(lambda m: m.subject == subject)

    def assert_emailed(self, ret, xmlid, words):
        message = self.template_messages(ret, xmlid)
        self.assertEqual(len(message), 1, xmlid)
        self.assertIn(ret.name, message.subject)
        self.assertIn(self.customer, message.partner_ids)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertIn(words, message.body)
        emailed = message.notification_ids.filtered(
            lambda n: n.notification_type == "email"
        ).res_partner_id
        self.assertIn(self.customer, emailed, "the customer gets it by email")
        mail = (
            self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        )
        self.assertIn(self.customer, mail.recipient_ids)
        return message

    def test_approved_received_credited(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=2, reason=self.reason_defective)
        ret.action_request()
        approved = "otc_order_to_cash.mail_template_otc_return_approved"
        received = "otc_order_to_cash.mail_template_otc_return_received"
        credited = "otc_order_to_cash.mail_template_otc_return_credited"
        self.assertFalse(self.template_messages(ret, approved))
        ret.with_user(self.clerk).action_approve()
        message = self.assert_emailed(ret, approved, "send the goods back")
        self.assertIn(self.company.partner_id.name, message.body, "return address")
        self.assertFalse(self.template_messages(ret, received))

        self.receive(ret)
        self.assert_emailed(ret, received, "Return Widget")
        self.assertFalse(self.template_messages(ret, credited))

        note = ret.with_user(self.clerk).action_credit()
        self.assert_emailed(ret, credited, note.name)
        # the salesperson follows on the order, without the customer
        self.assertTrue(
            order.message_ids.filtered(
                lambda m: ret.name in (m.body or "") and "credited" in m.body
            )
        )

    def test_approved_without_goods_back(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=1, reason=self.reason_damaged)
        ret.action_request()
        ret.with_user(self.clerk).action_approve()
        self.assert_emailed(
            ret,
            "otc_order_to_cash.mail_template_otc_return_approved",
            "do not need to send anything back",
        )

    def test_refused(self):
        order = self.sell(qty=5)
        ret = self.new_return(order, qty=1)
        ret.action_request()
        self.refuse(ret, "Opened and used")
        self.assert_emailed(
            ret, "otc_order_to_cash.mail_template_otc_return_refused", "Opened and used"
        )
