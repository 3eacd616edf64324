from django.apps import AppConfig


class KernelappConfig(AppConfig):
    name = "tests.kernelapp"
    label = "kernelapp"
