"""A service's message beside a field: a catalogued msgid is shown (translated), a plain detail never is."""

from __future__ import annotations

from tandem.kit.errors import InvalidInput
from tandem.web import forms
from tandem.web.render import message_text


def test_a_catalogued_field_message_is_kept_and_a_plain_detail_gives_the_errors_message() -> None:
    exc = InvalidInput("The report content is not valid.", fields={"signer_ids": "at least two"})
    plain = forms.field_message(exc, "at least two")
    assert plain is exc and "at least two" not in message_text("zh_CN", plain)
    assert message_text("zh_CN", plain) != exc.message  # translated, not the English
    kept = forms.field_message(exc, forms.FIELD_REQUIRED)
    assert kept == forms.FIELD_REQUIRED and message_text("zh_CN", kept) != forms.FIELD_REQUIRED
