from django.apps import AppConfig


class SharingExampleConfig(AppConfig):
    name = "tests.sharing_example"
    label = "sharing_example"
