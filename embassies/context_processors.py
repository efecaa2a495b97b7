from django.http import HttpRequest

from .permissions import is_platform_admin, is_police_analyst, is_verified, is_workspace_admin


def roles(request: HttpRequest) -> dict:
    """Navigation flags for the base layout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not is_verified(user):
        return {"nav": {"signed_in": False}}
    workspace = user.workspace
    return {
        "nav": {
            "signed_in": True,
            "workspace": workspace,
            "workspace_admin": bool(workspace and is_workspace_admin(user, workspace)),
            "platform_admin": is_platform_admin(user),
            "police_analyst": is_police_analyst(user),
        }
    }
