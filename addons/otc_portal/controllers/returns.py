from markupsafe import Markup
from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import content_disposition, request
from odoo.tools import plaintext2html
from odoo.tools.mimetypes import guess_mimetype

from ..engine import validation as validation_engine
from .formatting import Formatter
from .portal import MAX_ATTACHMENT_SIZE, MAX_ATTACHMENTS, OtcCustomerPortal

InputError = validation_engine.InputError
# What a customer may attach to a return request: photos, or a PDF (a
# report, a delivery note); the type is read from the content, not trusted
# from the browser.
RETURN_FILE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}
)


class OtcReturnPortal(OtcCustomerPortal):
    """Returns on the portal: requested from a delivered order of the
    customer, followed with their status, label, credit notes and
    conversation. The rules of what may be returned are the return model's
    (``_otc_request_candidates``, ``_otc_create_request``); the controller
    only reads the form and checks ownership and files."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "otc_return_count" in counters:
            Return = request.env["otc.return"]
            values["otc_return_count"] = (
                Return.search_count(
                    [("partner_id", "=", self._otc_customer().id)], limit=1
                )
                if Return.has_access("read")
                else 0
            )
        return values

    # ------------------------------------------------------------------
    # List and detail
    # ------------------------------------------------------------------

    @http.route("/my/returns", type="http", auth="user", website=True)
    def otc_portal_returns(self, **kw):
        returns = request.env["otc.return"].search(
            [
                ("partner_id", "=", self._otc_customer().id),
                ("state", "!=", "draft"),
            ]
        )
        values = self._otc_values("otc_returns", returns=returns.sudo())
        return request.render("otc_portal.portal_my_returns", values)

    def _otc_return_sudo(self, return_id, access_token=None):
        try:
            return self._document_check_access("otc.return", return_id, access_token)
        except (AccessError, MissingError):
            raise NotFound() from None

    @http.route("/my/returns/<int:return_id>", type="http", auth="public", website=True)
    def otc_portal_return(self, return_id, access_token=None, **kw):
        ret_sudo = self._otc_return_sudo(return_id, access_token)
        values = self._otc_values(
            "otc_return",
            ret=ret_sudo,
            created=kw.get("created"),
            credit_notes=ret_sudo.credit_note_ids.filtered(
                lambda m: m.state == "posted"
            ),
            label=ret_sudo._otc_portal_label_available(),
        )
        values = self._get_page_view_values(
            ret_sudo, access_token, values, "my_returns_history", False, **kw
        )
        values.setdefault("token", access_token)
        return request.render("otc_portal.portal_my_return", values)

    @http.route(
        "/my/returns/<int:return_id>/label", type="http", auth="public", website=True
    )
    def otc_portal_return_label(self, return_id, access_token=None, **kw):
        ret_sudo = self._otc_return_sudo(return_id, access_token)
        if not ret_sudo._otc_portal_label_available():
            raise NotFound()
        pdf, _kind = (
            request.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf(
                "otc_order_to_cash.action_report_otc_return_label", ret_sudo.ids
            )
        )
        filename = "Return label - {}.pdf".format(ret_sudo.name.replace("/", "-"))
        return request.make_response(
            pdf,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(pdf)),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )

    # ------------------------------------------------------------------
    # Request
    # ------------------------------------------------------------------

    def _otc_returnable_order(self, order_id):
        """The customer's confirmed order, or 404."""
        try:
            order_sudo = self._document_check_access("sale.order", order_id)
        except (AccessError, MissingError):
            raise NotFound() from None
        if (
            order_sudo.partner_id.commercial_partner_id != self._otc_customer()
            or order_sudo.state != "sale"
            or order_sudo.company_id not in self._otc_companies()
        ):
            raise NotFound()
        return order_sudo

    def _otc_return_form_values(self, order_sudo, error=None, form=None):
        fmt = Formatter(request.env)
        Return = request.env["otc.return"]
        form = form or {}
        rows = [
            {
                "line": c["sale_line"],
                "returnable": c["returnable"],
                "deadline": fmt.date(c["deadline"]),
                "closed": c["outside_window"],
                "value": form.get(f"qty_{c['sale_line'].id}", ""),
            }
            for c in Return._otc_request_candidates(order_sudo)
        ]
        return self._otc_values(
            "otc_return_new",
            order=order_sudo,
            rows=rows,
            reasons=Return._otc_request_reasons(order_sudo.company_id),
            error=error,
            form=form,
            max_files=MAX_ATTACHMENTS,
        )

    @http.route(
        "/my/orders/<int:order_id>/return",
        type="http",
        auth="user",
        website=True,
        methods=["GET"],
    )
    def otc_portal_return_new(self, order_id, **kw):
        order_sudo = self._otc_returnable_order(order_id)
        return request.render(
            "otc_portal.portal_my_return_new",
            self._otc_return_form_values(order_sudo),
        )

    def _otc_read_return_files(self, files):
        if len(files) > MAX_ATTACHMENTS:
            raise UserError(request.env._("Attach at most %s files.", MAX_ATTACHMENTS))
        result = []
        for upload in files:
            content = upload.read(MAX_ATTACHMENT_SIZE + 1)
            if len(content) > MAX_ATTACHMENT_SIZE:
                raise UserError(
                    request.env._(
                        "%(name)s is too large (%(size)s MB at most per file).",
                        name=upload.filename,
                        size=MAX_ATTACHMENT_SIZE // (1024 * 1024),
                    )
                )
            if guess_mimetype(content) not in RETURN_FILE_TYPES:
                raise UserError(
                    request.env._(
                        "%s is not a photo (JPEG, PNG, GIF, WebP) or a PDF.",
                        upload.filename,
                    )
                )
            result.append((upload.filename, content))
        return result

    def _otc_return_request_lines(self, post):
        """(order line id, quantity, reason) of the form; the quantities as
        typed, their limits are the return model's to check."""
        env = request.env
        try:
            reason_id = validation_engine.parse_id(post.get("reason_id"))
        except InputError:
            reason = env["otc.return.reason"]
        else:
            reason = env["otc.return.reason"].sudo().browse(reason_id).exists()
        lines = []
        for key, text in post.items():
            if not key.startswith("qty_"):
                continue
            try:
                sol_id = validation_engine.parse_id(key[4:])
            except InputError:
                raise UserError(env._("Unknown order line.")) from None
            if not (text or "").strip():
                continue
            try:
                qty = validation_engine.from_units(
                    validation_engine.parse_amount(text, 0.001), 0.001
                )
            except InputError:
                raise UserError(
                    env._("“%s” is not a quantity: type a number.", text)
                ) from None
            lines.append((sol_id, qty, reason))
        return lines

    @http.route(
        "/my/orders/<int:order_id>/return",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def otc_portal_return_create(self, order_id, **post):
        order_sudo = self._otc_returnable_order(order_id)
        files = request.httprequest.files.getlist("attachments")
        files = [f for f in files if f and f.filename]
        note = (post.get("comment") or "").strip()
        contact = request.env.user.partner_id
        try:
            lines = self._otc_return_request_lines(post)
            attachments = self._otc_read_return_files(files)
            ret = request.env["otc.return"]._otc_create_request(
                order_sudo, lines, note=note, contact=contact
            )
        except (UserError, ValidationError) as error:
            return request.render(
                "otc_portal.portal_my_return_new",
                self._otc_return_form_values(order_sudo, error.args[0], post),
            )
        # Photos through message_post's own attachment handling: linked to
        # the message and to the return.
        ret.message_post(
            body=plaintext2html(note)
            if note
            else Markup("<p>%s</p>") % request.env._("Return requested on the portal."),
            author_id=contact.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachments=attachments,
        )
        return request.redirect(f"{ret.access_url}?created=1")
