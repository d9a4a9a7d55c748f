# reviewbot images. Two targets:
#
#   docker build --target service    -t reviewbot .             # webhook app + cpu/gpu consumers
#   docker build --target gpu-runner -t reviewbot-gpu-runner .  # `reviewbot worker --queue gpu`
#
# `docker build .` builds the service (the last stage). Secrets come from the environment
# at run time (REVIEWBOT_WEBHOOK_SECRET, REVIEWBOT_GITHUB_*), never from the image.

ARG PYTHON_IMAGE=python:3.11-slim
ARG TENSORFLOW_GPU_IMAGE=tensorflow/tensorflow:2.21.0-gpu

# ---- build: the reviewbot wheel (dependencies are installed per target) -------------------
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md config.toml ./
COPY reviewbot ./reviewbot
COPY checks ./checks
COPY webhooks ./webhooks
COPY runners ./runners
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# ---- gpu-runner: notebook runs on a GPU host, taking jobs from a shared Redis queue -------
FROM ${TENSORFLOW_GPU_IMAGE} AS gpu-runner
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# git fetches the PR head; bubblewrap is the notebooks' sandbox. Not pinned: the base
# image's release pins them, and exact Debian/Ubuntu versions vanish from the mirrors.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git bubblewrap \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 reviewbot \
    && mkdir -p /var/lib/reviewbot && chown reviewbot /var/lib/reviewbot
COPY --from=build /wheels /wheels
# the postgres extra: psycopg, for a job store shared by several hosts
RUN pip install --no-cache-dir "$(ls /wheels/*.whl)[postgres]" && rm -rf /wheels
COPY config.toml /etc/reviewbot/config.toml
COPY papers /etc/reviewbot/papers
ENV REVIEWBOT_CONFIG=/etc/reviewbot/config.toml \
    REVIEWBOT_DATA_DIR=/var/lib/reviewbot \
    PYTHONUNBUFFERED=1
USER 10001
WORKDIR /home/reviewbot
VOLUME ["/var/lib/reviewbot"]
ENTRYPOINT ["reviewbot"]
CMD ["worker", "--queue", "gpu"]

# ---- service: the webhook app and both consumers on one machine -------------------------
FROM ${PYTHON_IMAGE} AS service
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git bubblewrap \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 reviewbot \
    && mkdir -p /var/lib/reviewbot && chown reviewbot /var/lib/reviewbot
COPY --from=build /wheels /wheels
# the postgres extra: psycopg, for a job store shared by several hosts
RUN pip install --no-cache-dir "$(ls /wheels/*.whl)[postgres]" && rm -rf /wheels
COPY config.toml /etc/reviewbot/config.toml
COPY papers /etc/reviewbot/papers
ENV REVIEWBOT_CONFIG=/etc/reviewbot/config.toml \
    REVIEWBOT_DATA_DIR=/var/lib/reviewbot \
    PYTHONUNBUFFERED=1
USER 10001
WORKDIR /home/reviewbot
VOLUME ["/var/lib/reviewbot"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["reviewbot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
