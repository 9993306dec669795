"""WSGI entry point (served by waitress in ``kerma serve``)."""

import os

from django.core.wsgi import get_wsgi_application

from kerma import config

config.make_private()  # also under a WSGI server other than `kerma serve`
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kerma.web.settings")
application = get_wsgi_application()
