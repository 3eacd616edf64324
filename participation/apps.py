from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "participation"
