# The production image: gunicorn serving the app as an unprivileged user. No secret is used or
# kept at build time (collectstatic runs under DJANGO_ENV=build); the environment of the
# running container supplies them (docker-compose.yml, docs/operations.md).
# deploy/stack_check.py runs these RUN steps in a fresh virtualenv in CI (no registry for base
# images is reachable there): keep each RUN a plain shell command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# The locked dependencies first (every version and hash pinned; `make lock` renews them):
# this layer is reused until requirements.txt changes. The app itself runs from /app.
COPY requirements.txt ./
RUN pip install --require-hashes -r requirements.txt
COPY . .
RUN DJANGO_ENV=build python manage.py collectstatic --noinput
# build-check: skip (creates a system account; CI runs as itself)
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin exchange
ENV DJANGO_ENV=production
USER exchange
EXPOSE 8000
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "exchange.wsgi:application"]
