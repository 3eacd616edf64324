from django.apps import AppConfig


class TextintelConfig(AppConfig):
    name = "textintel"
