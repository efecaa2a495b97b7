from django.apps import AppConfig


class EmbassiesConfig(AppConfig):
    name = "embassies"
    verbose_name = "Delegations and workspaces"

    def ready(self) -> None:
        import time

        from django.contrib.auth.signals import user_logged_in

        from .middleware import SESSION_STARTED_KEY

        def _stamp_login(sender, request, user, **kwargs) -> None:
            request.session[SESSION_STARTED_KEY] = time.time()

        user_logged_in.connect(_stamp_login, dispatch_uid="embassies_stamp_login")

        from . import schema  # noqa: F401  (registers the OpenAPI auth extension)
