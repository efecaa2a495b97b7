from django.apps import AppConfig


class VictimsConfig(AppConfig):
    name = "victims"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
