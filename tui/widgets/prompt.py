"""A modal question with one line of text to answer (until when a switch holds, an acknowledgement's note)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class TextPrompt(ModalScreen[str | None]):
    """Asks ``question``; Enter answers with the text typed (stripped), Escape with None.

    An empty answer is None too unless ``allow_empty`` (a note that may be left out). The input's id is
    ``input_id``, the question's ``{input_id}-question``.
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, question: str, *, input_id: str, placeholder: str = "", allow_empty: bool = False) -> None:
        super().__init__()
        self.question = question
        self.input_id = input_id
        self.placeholder = placeholder
        self.allow_empty = allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(Text(self.question), id=f"{self.input_id}-question")
            yield Input(placeholder=self.placeholder, id=self.input_id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        answer = event.value.strip()
        self.dismiss(answer if answer or self.allow_empty else None)
