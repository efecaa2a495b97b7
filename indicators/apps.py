from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "indicators"

    def ready(self) -> None:
        # A configured .mmdb that cannot be read must stop start-up, not the first submission.
        from .enrichment import mmdb_check

        mmdb_check()
