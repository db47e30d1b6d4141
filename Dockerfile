# The translation catalogues are compiled with GNU gettext in a stage of their own, so
# the image carries the .mo files and not the tools.
FROM python:3.12-slim AS catalogues
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
COPY locale /locale
RUN for po in /locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "${po%.po}.mo" "$po"; done

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN useradd --create-home harbor
# The versions in uv.lock, as CI and `make install` get them; what running needs only,
# in a venv of its own (uv is used for the install and not kept in the image), compiled
# to bytecode: with PYTHONDONTWRITEBYTECODE nothing would be cached, and every process
# would compile Django and the rest from source at each start (seconds of gunicorn's).
COPY pyproject.toml uv.lock ./
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_LINK_MODE=copy PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir uv==0.13.9 \
    && uv sync --frozen --no-install-project --no-cache --compile-bytecode \
       --python /usr/local/bin/python \
    && pip uninstall --yes uv
COPY . .
COPY --from=catalogues /locale ./locale
# Bytecode now: with PYTHONDONTWRITEBYTECODE (and /app not the runtime user's to write)
# every process would otherwise compile the app from source at each start, a third of
# a second of gunicorn's time to its first search.
RUN python -m compileall -q .
# And the compact ZIP table (var/zips-*.npz, engine.geo), so no start builds it.
RUN python -c "from engine.geo import zip_table_load; zip_table_load()"
# collectstatic needs settings that load; these throwaway values exist only in this build step.
RUN DEBUG=false SECRET_KEY=build-only FIELD_ENCRYPTION_KEY=mvU2cR6sKcL0bI6xg8sT3J1a0d2m4k8n9p7q5r3s1t0= \
    python manage.py collectstatic --noinput
USER harbor
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
