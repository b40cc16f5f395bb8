from odoo import api, fields, models


class OtcSequenceMixin(models.AbstractModel):
    """Numbered documents of the suite: ``name`` from the ``ir.sequence`` whose
    code is the model's ``_name`` (defined in each addon's sequence data)."""

    _name = "otc.sequence.mixin"
    _description = "Order-to-Cash Numbered Document"

    name = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env._("New"),
    )

    @api.model_create_multi
    def create(self, vals_list):
        new = self.env._("New")
        for vals in vals_list:
            if vals.get("name", new) == new:
                vals["name"] = self.env["ir.sequence"].next_by_code(self._name) or new
        return super().create(vals_list)
