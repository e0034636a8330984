# One image for the worker, the API and the `onboard` CLI:
#   docker build -t subaccount-onboarding .
#   docker run ... subaccount-onboarding                         (the API, the default command)
#   docker run ... subaccount-onboarding python -m worker
#   docker run ... subaccount-onboarding onboard db upgrade
# It carries no secrets and no development defaults: ONBOARD_ENVIRONMENT=production refuses to start
# until every secret comes from the environment (see .env.example and docs/operations.md).

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# --- builder: build the project into a self-contained virtual environment ---
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY . .
RUN /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip install . \
    && /opt/venv/bin/onboard --help >/dev/null

# --- runtime: the virtual environment only, run as an unprivileged user ---
FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 onboard \
    && useradd --system --uid 10001 --gid onboard --home-dir /app --shell /usr/sbin/nologin onboard \
    && mkdir -p /app/data \
    && chown onboard:onboard /app/data
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ONBOARD_ENVIRONMENT=production \
    ONBOARD_DATA_DIR=/app/data \
    ONBOARD_API_HOST=0.0.0.0 \
    ONBOARD_API_PORT=8000
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['ONBOARD_API_PORT'] + '/healthz', timeout=4)"]
CMD ["python", "-m", "api"]
