"""The webhook service (installed as ``reviewbot.webhooks``): ``create_app(settings, queue)``."""

from reviewbot.webhooks.app import create_app

__all__ = ["create_app"]
