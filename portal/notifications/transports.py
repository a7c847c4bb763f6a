"""How a mail leaves: an SMTP relay, or a folder of .eml files a developer can open."""
from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage


class SmtpTransport:
    """One connection per mail: the worker sends a few at a time and must survive a relay restart."""

    def __init__(self, config: dict):
        self.host, self.port, self.timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
        self.user, self.password, self.starttls = config["SMTP_USER"], config["SMTP_PASSWORD"], config["SMTP_STARTTLS"]

    def send(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password)
            # The bodies are UTF-8 sent as 8bit (readable in the .eml files too); say so where the relay allows.
            smtp.send_message(mail, mail_options=("BODY=8BITMIME",) if smtp.has_extn("8bitmime") else ())


class FolderTransport:
    """Writes <MAIL_FOLDER>/outbox-<id>-<kind>.eml; a resend overwrites the same file."""

    def __init__(self, config: dict):
        self.folder = config["MAIL_FOLDER"]

    def send(self, mail: EmailMessage) -> None:
        os.makedirs(self.folder, exist_ok=True)
        name = mail["Message-ID"].strip("<>").split("@")[0]
        path = os.path.join(self.folder, f"{name}-{mail['X-Tyndau-Kind']}.eml")
        # Written aside and renamed, so a reader never opens half a mail.
        with open(path + ".tmp", "wb") as f:
            f.write(mail.as_bytes())
        os.replace(path + ".tmp", path)


TRANSPORTS = {"smtp": SmtpTransport, "folder": FolderTransport}


class UnknownTransport(ValueError):
    """MAIL_TRANSPORT names no transport."""


def transport_for(config: dict):
    name = config["MAIL_TRANSPORT"]
    if name not in TRANSPORTS:
        raise UnknownTransport(f"MAIL_TRANSPORT must be one of {', '.join(sorted(TRANSPORTS))}, not {name!r}")
    return TRANSPORTS[name](config)
