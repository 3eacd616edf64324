import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
_django = get_wsgi_application()

# The public submission's busy path sits in front of Django's stack (cases/fastintake.py).
from cases.fastintake import FastIntake  # noqa: E402

application = FastIntake(_django)
