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


_SNAKE_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+|[A-Z][A-Z0-9]*(_[A-Z0-9]+)+")


def _has_digit_and_letter(run: str) -> bool:
    """A run that may be a token: digits and letters, and not a snake_case name."""
    return (any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
            and not _SNAKE_NAME.fullmatch(run))


# Every token the catalogue knows holds a run of 16 or more token characters with digits
# (a private key block's header does not: the hygiene check's own pattern finds those);
# only lines holding such a run meet the patterns, which most lines of code do not.
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_+/=-]{16,}")


def catalogue_matches(text: str) -> Iterator[tuple[int, str, str]]:
    """(offset, kind, matched text) of each token in ``text`` the catalogue recognises."""
    scanned = -1
    for run in _TOKEN_RUN.finditer(text):
        if run.start() <= scanned or not _has_digit_and_letter(run.group(0)):
            continue  # a line scanned already, or a long name (encoder_decoder_attention)
        patterns = catalogue()  # detect-secrets is imported only when a token may be there
        start = text.rfind("\n", 0, run.start()) + 1
        end = text.find("\n", run.end())
        end = len(text) if end < 0 else end
        scanned = end
        for kind, pattern in patterns:
            for match in pattern.finditer(text, start, end):
                yield match.start(), kind, match.group(0)
