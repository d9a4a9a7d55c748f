"""Secret patterns from a maintained catalogue: detect-secrets' token detectors.

Only the detectors that recognise a service's token format are used (AWS, GitHub, GitLab,
Slack, Stripe, Twilio, private keys...); detect-secrets' entropy and keyword detectors are
left out, as the hygiene check has its own keyword rule with a placeholder filter, and so are
the detectors keyed on a service's name (IBM Cloud, Cloudant, SoftLayer): their patterns
cost more than all the others together on notebook outputs and name services ML code does
not use.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterator

_DETECTORS = {
    "artifactory": "ArtifactoryDetector", "aws": "AWSKeyDetector",
    "azure_storage_key": "AzureStorageKeyDetector", "basic_auth": "BasicAuthDetector",
    "discord": "DiscordBotTokenDetector", "github_token": "GitHubTokenDetector",
    "gitlab_token": "GitLabTokenDetector", "jwt": "JwtTokenDetector",
    "mailchimp": "MailchimpDetector", "npm": "NpmDetector", "openai": "OpenAIDetector",
    "private_key": "PrivateKeyDetector", "pypi_token": "PypiTokenDetector",
    "sendgrid": "SendGridDetector", "slack": "SlackDetector",
    "square_oauth": "SquareOAuthDetector", "stripe": "StripeDetector",
    "telegram_token": "TelegramBotTokenDetector", "twilio": "TwilioKeyDetector",
}


@functools.cache
def catalogue() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(kind, pattern) for each token format detect-secrets knows; empty when not installed."""
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for module_name, class_name in _DETECTORS.items():
        try:
            module = importlib.import_module(f"detect_secrets.plugins.{module_name}")
        except ImportError:
            continue
        detector = getattr(module, class_name, None)
        denylist = getattr(detector, "denylist", None)
        if isinstance(denylist, list | tuple):
            kind = str(getattr(detector, "secret_type", class_name))
            patterns += [(kind, p) for p in denylist if isinstance(p, re.Pattern)]
    return tuple(patterns)


def catalogue_matches(text: str) -> Iterator[tuple[int, str, str]]:
    """(offset, kind, matched text) of each token in ``text`` the catalogue recognises."""
    for kind, pattern in catalogue():
        for match in pattern.finditer(text):
            yield match.start(), kind, match.group(0)
