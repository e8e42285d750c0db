import base64
import contextlib
import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Exports of more report rows than this run in the background (system parameter).
BACKGROUND_ITEMS_PARAM = "credit_risk_addon.export_background_items"
BACKGROUND_ITEMS_DEFAULT = 20000
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CreditReportExport(models.Model):
    """An Excel export of a credit report made in the background.

    A big export would keep the browser waiting past its timeout: it is
    queued instead, built by the scheduled action *Credit: build report
    exports* as the user who asked for it (their companies and record rules),
    with its progress shown here, and the user is told when it is ready.
    """

    _name = "credit.report.export"
    _description = "Credit Report Export"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    report = fields.Selection([("aged_receivables", "Aged Receivables")], required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Requested by",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.user,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    parameters = fields.Json(readonly=True, help="The report options chosen, as the options form had them.")
    state = fields.Selection(
        [("queued", "Queued"), ("running", "In Progress"), ("done", "Ready"), ("failed", "Failed")],
        required=True,
        readonly=True,
        default="queued",
    )
    progress = fields.Integer(readonly=True, help="Percent done.")
    file = fields.Binary(string="Workbook", attachment=True, readonly=True)
    file_name = fields.Char(readonly=True)
    error = fields.Text(readonly=True)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_download(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file/{self.file_name}?download=true",
            "target": "download",
        }

    @api.model
    def _background_items(self):
        value = self.env["ir.config_parameter"].sudo().get_param(BACKGROUND_ITEMS_PARAM)
        try:
            return max(int(value), 0) if value else BACKGROUND_ITEMS_DEFAULT
        except ValueError:
            _logger.warning("System parameter %s is not a whole number: %r", BACKGROUND_ITEMS_PARAM, value)
            return BACKGROUND_ITEMS_DEFAULT

    @api.model
    def _queue(self, report, name, parameters):
        """Queue an export for the current user and wake the job; the action that tells the user."""
        export = self.create({"report": report, "name": name, "parameters": parameters})
        self.env.ref("credit_risk_addon.ir_cron_credit_report_export").sudo()._trigger()
        exports_action = self.env["ir.actions.act_window"]._for_xml_id(
            "credit_risk_addon.credit_report_export_action"
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Export queued"),
                "message": self.env._(
                    "%(name)s is being built in the background; you will be told when it is ready. "
                    "Its progress is under My Report Exports.",
                    name=export.name,
                ),
                "type": "info",
                "sticky": False,
                "next": exports_action,
            },
        }

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------
    @api.model
    def _cron_build_exports(self, auto_commit=True):
        """Build the queued exports one at a time; one that fails is recorded and the job goes on.

        Each export is committed as taken and at each step (a scheduled job's
        own transaction), so that its progress shows while it is built and a
        second run never takes it. Every user's exports are read; each is
        built as its user.
        """
        exports = self.sudo()
        queued = exports.search_count([("state", "=", "queued")])
        done = 0
        while export := exports._take_next():
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            export._build(auto_commit)
            done += 1
            self.env["ir.cron"]._notify_progress(done=done, remaining=max(queued - done, 0))
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _take_next(self):
        """The oldest queued export, locked so that two runs at once never build it twice."""
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM credit_report_export WHERE state = 'queued' "
                "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
            )
        )
        if not rows:
            return self.browse()
        export = self.browse(rows[0][0])
        export.write({"state": "running", "progress": 5})
        return export

    def _build(self, auto_commit=True):
        """Build the workbook; a failure is recorded on the export (and told) instead of raised.

        With ``auto_commit`` each step's progress is committed and a failure
        rolls back to the last step; without (tests), a savepoint does it.
        """
        self.ensure_one()

        def progress(percent):
            self.write({"progress": percent})
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

        try:
            with contextlib.nullcontext() if auto_commit else self.env.cr.savepoint():
                content, file_name = self._build_content(progress)
        except Exception as error:  # noqa: BLE001 - recorded on the export, the job goes on
            if auto_commit:
                self.env.cr.rollback()
            _logger.warning("Credit report export %s failed", self.id, exc_info=True)
            self.write({"state": "failed", "progress": 0, "error": str(error)})
            self._tell_user(
                self.env._("Export failed"),
                self.env._("%(name)s could not be built: %(error)s", name=self.name, error=error),
                "danger",
            )
            return
        self.write(
            {
                "state": "done",
                "progress": 100,
                "file": base64.b64encode(content),
                "file_name": file_name,
                "error": False,
            }
        )
        self._tell_user(
            self.env._("Export ready"),
            self.env._("%(name)s is ready: download it from My Report Exports.", name=self.name),
            "success",
        )

    def _build_content(self, progress):
        """``(bytes, file name)`` of the export, built as the user who asked for it."""
        if self.report == "aged_receivables":
            wizard = (
                self.env["credit.aged.receivable.wizard"]
                .with_user(self.user_id)
                .with_company(self.company_id)
                .create(self.parameters or {})
            )
            return wizard._build_xlsx(progress=progress)
        raise ValueError(self.env._("Unknown report: %(report)s", report=self.report))

    def _tell_user(self, title, message, kind):
        self.user_id._bus_send(
            "simple_notification", {"title": title, "message": message, "type": kind, "sticky": True}
        )
