from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = "Exchange"

    def ready(self) -> None:
        from django.contrib.auth import user_logged_in
        from django.contrib.auth.models import update_last_login

        from .signals import remember_previous_login

        # Django's own receiver overwrites last_login; ours keeps the old value for the
        # dashboard's "since your last sign-in" first, then calls it.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(remember_previous_login, dispatch_uid="update_last_login")
