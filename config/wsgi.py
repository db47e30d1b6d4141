from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# gunicorn's parent, about to load the app before it forks (gunicorn.conf.py's raw_env):
# the matching directory's load starts first, and runs while Django sets itself up. Taken
# out of the environment, so nothing this process starts inherits it.
if os.environ.pop("HARBOR_LOAD_DIRECTORY_EARLY", None) == "1":
    from matching.directory import load_while_setting_up

    load_while_setting_up()
application = get_wsgi_application()
