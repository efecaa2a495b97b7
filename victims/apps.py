from django.apps import AppConfig


class VictimsConfig(AppConfig):
    name = "victims"
