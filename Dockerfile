# reviewbot: the CLI and (later) the webhook service, in one image.
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends git bubblewrap \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home reviewbot
WORKDIR /app
COPY pyproject.toml README.md config.toml ./
COPY reviewbot ./reviewbot
COPY checks ./checks
COPY webhooks ./webhooks
COPY runners ./runners
RUN pip install --no-cache-dir .

USER reviewbot
ENV REVIEWBOT_CONFIG=/app/config.toml
ENTRYPOINT ["reviewbot"]
CMD ["--help"]
