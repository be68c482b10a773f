# syntax=docker/dockerfile:1
# Customer Mindset: `mindset-bot` in a small image.
#
#   docker build -t customer-mindset-bot .
#   docker run --env-file .env -p 3000:3000 -v mindset-data:/data customer-mindset-bot
#
# Without DATABASE_URL the data is SQLite in /data/mindset.db (keep /data in a volume); with
# DATABASE_URL=postgresql://... it is PostgreSQL (the driver is installed). docker-compose.yml runs
# the bot, its nudge engine and PostgreSQL together.

# -- 1. build the wheels: the project's and its dependencies' (psycopg's binary build included) --
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[postgres]"

# -- 2. the image: Python, the installed wheels, a user without privileges ----------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/mindset.db \
    PORT=3000

RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels "customer-mindset-bot[postgres]" \
    && useradd --uid 10001 --user-group --no-create-home --home-dir /app --shell /usr/sbin/nologin mindset \
    && mkdir -p /app /data \
    && chown mindset:mindset /app /data

# the working directory is where `mindset-bot` would read a .env file (docker-compose passes env_file instead)
WORKDIR /app
USER mindset
VOLUME ["/data"]
EXPOSE 3000

# /healthz answers 200 while the database answers, 503 when it does not (serving over HTTP only:
# a Socket Mode bot or `mindset-bot scheduler` serves no HTTP, so turn the check off for those)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]

# SIGTERM (docker stop) stops it cleanly, exit code 0
CMD ["mindset-bot", "run"]
