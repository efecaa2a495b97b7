FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir . \
 && SECRET_KEY=build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(60))') \
    ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 exchange
USER exchange
EXPOSE 8000
CMD ["gunicorn", "exchange.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
