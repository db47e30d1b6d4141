"""The sessions' store: Django's database store, with a page's one read of its session
in SQL written once (SESSION_ENGINE).

Every signed-in page reads its session first; through the ORM that is a query built
and compiled on each request, about half a millisecond of CPU for a one-row lookup
(issue 30). Here the same lookup: the live row's data by its key, as Django's store
reads it (`objects.get(session_key=…, expire_date__gt=now)`); an expired or unknown key
loads nothing and is forgotten, as there. Writing, creating and deleting are Django's.
The demo's SQLite goes through Django's own read.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

# The model is Django's (django_session); named here, as the store avoids importing it.
_LOAD_SQL = (
    'SELECT "session_data" FROM "django_session" WHERE "session_key" = %s AND "expire_date" > %s'
)


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        if connection.vendor != "postgresql":
            return super().load()
        key = self.session_key
        row = None
        if key:
            with connection.cursor() as cursor:
                cursor.execute(_LOAD_SQL, [key, timezone.now()])
                row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])
