import base64

import xlsxwriter

from odoo import api, fields, models

# Text is written as text, whatever it starts with: customer names, hold
# reasons and references typed by payers reach the exports, and xlsxwriter
# would otherwise turn "=HYPERLINK(...)" or "=cmd|..." into a live formula
# and "http://..." into a link (and "0012" into the number 12).
WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


class OtcXlsxMixin(models.AbstractModel):
    """The suite's spreadsheet exports: a workbook that writes text as text,
    and the download of the file a wizard built."""

    _name = "otc.xlsx.mixin"
    _description = "Spreadsheet Export"

    file = fields.Binary(readonly=True, attachment=False)
    filename = fields.Char(readonly=True)

    @api.model
    def _otc_workbook(self, buffer):
        """An xlsxwriter workbook on ``buffer`` (see WORKBOOK_OPTIONS)."""
        return xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)

    def _otc_download(self, content, filename):
        """Store ``content`` on this wizard and return the action that
        downloads it."""
        self.ensure_one()
        self.write({"file": base64.b64encode(content), "filename": filename})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/?model={self._name}&id={self.id}&field=file"
            f"&filename_field=filename&download=true",
            "target": "self",
        }
