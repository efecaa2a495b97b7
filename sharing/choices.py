from django.db import models
from django.utils.translation import gettext_lazy as _


class TLP(models.TextChoices):
    """Traffic Light Protocol 2.0 (FIRST): how far a recipient may pass a record on."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"

    @property
    def description(self) -> str:
        return str(TLP_DESCRIPTIONS[self])


TLP_DESCRIPTIONS = {
    TLP.CLEAR: _("Recipients can spread this to the world; there is no limit on disclosure."),
    TLP.GREEN: _("Recipients can spread this within their community, not publicly."),
    TLP.AMBER: _(
        "Recipients can share this on a need-to-know basis within their organisation "
        "and its clients."
    ),
    TLP.AMBER_STRICT: _("Recipients can share this only within their own organisation."),
    TLP.RED: _("For the eyes and ears of individual recipients only, no further disclosure."),
}


class AudiencePreset(models.TextChoices):
    """The audiences a form offers; the flags on the record are the source of truth."""

    OWNER_ONLY = "owner", _("My workspace only")
    OWNER_POLICE = "police", _("My workspace and Thai police analysts")
    NAMED = "named", _("My workspace, police analysts and the workspaces I name")
    ALL = "all", _("All workspaces and police analysts")
