import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
application = get_wsgi_application()

# Servers only (not tests, not manage.py): open the offline enrichment data while the worker
# boots, not inside the first IP submission it serves (half a second each time a gunicorn
# worker starts; benchmarks/load.py).
from indicators.enrichment import enrich  # noqa: E402

enrich("1.1.1.1")
