"""Seed the fault-injection database with the people the scenarios need.

Run by the fault fixtures in a subprocess, with the app's own settings and database
(`python -m tests.faults.seed SCENARIO...`): one workspace with a liaison officer and an API
token per scenario (so each scenario counts only its own rows), a police analyst (who receives
match notices too) and a platform admin (the curator `import_compounds` acts as). Prints JSON.
"""

from __future__ import annotations

import json
import os
import sys


def main(names: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
    import django

    django.setup()
    from embassies.choices import DelegationKind, WorkspaceRole
    from tests.embassies.factories import (
        DelegationFactory,
        UserFactory,
        WorkspaceFactory,
        api_key,
    )

    police = WorkspaceFactory(
        slug="faults-police",
        delegation=DelegationFactory(
            name="Faults Police", country="TH", kind=DelegationKind.HOST_POLICE
        ),
    )
    UserFactory(email="analyst@faults.test", workspace=police, role=WorkspaceRole.ANALYST)
    UserFactory(email="curator@faults.test", is_platform_admin=True)
    out: dict[str, dict] = {}
    for name in names:
        workspace = WorkspaceFactory(
            slug=f"faults-{name}", delegation=DelegationFactory(name=f"Faults {name}")
        )
        officer = UserFactory(
            email=f"officer@{name}.faults.test", workspace=workspace, role=WorkspaceRole.OFFICER
        )
        out[name] = {
            "workspace_id": workspace.pk,
            "user_id": officer.pk,
            "token": api_key(officer, name="fault injection"),
        }
    json.dump({"scenarios": out, "curator": "curator@faults.test"}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
