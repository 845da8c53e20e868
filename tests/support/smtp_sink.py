"""A real SMTP server for the notification tests: Python's standard smtpd (Debian 12's
python3 3.11), listening on loopback. Each message received is decoded with the email
package and appended to OUT as one JSON line {"to": [...], "subject": ..., "body": ...},
so tests read what an owner would read, whatever transfer encoding the client chose.

usage: python3 smtp_sink.py PORT OUT
"""
import warnings
warnings.simplefilter("ignore", DeprecationWarning)
import asyncore
import email
import email.policy
import json
import smtpd
import sys


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        message = email.message_from_bytes(data, policy=email.policy.default)
        record = {
            "from": mailfrom,
            "to": rcpttos,
            "subject": str(message["subject"]),
            "body": message.get_body(preferencelist=("plain",)).get_content(),
        }
        with open(OUT, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


PORT = int(sys.argv[1])
OUT = sys.argv[2]
Sink(("127.0.0.1", PORT), None, decode_data=False)
print("ready", flush=True)
asyncore.loop()
