from odoo import api, models


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _credit_is_manager(self):
        """The one check of credit-manager rights for the current environment: the current
        user's group, or the superuser mode of server code (call it on ``env["res.users"]``:
        ``env.user`` is always in superuser mode)."""
        return self.env.su or self.env.user.has_group("credit_risk_addon.group_credit_manager")
