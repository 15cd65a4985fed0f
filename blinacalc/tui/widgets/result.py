"""A view of a result that changes with every input: rendered once per update, laid out only when its
height changes."""

from __future__ import annotations

from itertools import islice

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, RichVisual, Visual, visualize
from textual.widget import Widget
from textual.widgets import Static


class _Rendered(RichVisual):
    """A rich renderable rendered once for both its height and its lines (:class:`RichVisual` renders it
    again for its lines after measuring it). The segments are kept for one width and base style; another
    width or style (a resize, a theme) renders again, exactly as :class:`RichVisual` does."""

    def __init__(self, widget: Widget, renderable: RenderableType) -> None:
        super().__init__(widget, renderable)
        self.renderable = renderable
        self._kept: tuple[int, RichStyle, list[Segment]] | None = None

    def _segments(self, width: int, style: RichStyle) -> list[Segment]:
        if self._kept is None or self._kept[:2] != (width, style):
            app = self._widget.app
            renderable = self._widget.post_render(self.renderable, style)
            options = app.console_options.update(highlight=False, width=width)
            self._kept = (width, style, list(app.console.render(renderable, options)))
        return self._kept[2]

    def get_height(self, rules: RulesMap, width: int) -> int:
        return sum(text.count("\n") for text, _, _ in self._segments(width, self._widget.visual_style.rich_style))

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        segments = self._segments(width, style.rich_style)
        lines = Segment.split_and_crop_lines(segments, width, include_new_lines=False, pad=False)
        return [Strip(line) for line in islice(lines, None, height)]


def _same_text(a: Text, b: Text) -> bool:
    """Rich's ``==`` compares the characters and the styled spans; the rest of what a Text draws here too."""
    return a == b and all(getattr(a, k) == getattr(b, k) for k in ("style", "justify", "overflow", "no_wrap", "end"))


class ResultView(Static):
    """A :class:`Static` whose :meth:`show` lays the screen out again only if the content's height changes.

    A layout pass re-measures and re-renders every widget and waits for the next screen update: about 25 ms
    of an input change at 120 x 40. A new patient's numbers almost never change a view's height. Measuring
    it is one render of the content at the widget's width, kept for drawing it (Textual's own visual for a
    rich renderable rendered it a second time: about 3 ms of a change)."""

    _rendered: _Rendered | None = None

    def show(self, content: RenderableType) -> None:
        shown = self.content
        if isinstance(content, Text) and isinstance(shown, Text) and _same_text(content, shown):
            return  # the same text and styles (a legend whose curves did not change): nothing to draw
        width, height = self.content_size
        # A rich Text becomes Textual content (cheap to measure, and its words can be selected and copied);
        # anything else is rendered once (_Rendered).
        visual = visualize(self, content) if isinstance(content, Text) else _Rendered(self, content)
        # (the styles are what Textual itself passes here, in Widget.get_content_height)
        same = bool(width) and visual.get_height(self.styles, width) == height  # type: ignore[arg-type]
        self._rendered = visual if isinstance(visual, _Rendered) else None
        self.update(content, layout=not same)

    def render(self) -> Visual:
        rendered = self._rendered
        if rendered is not None and rendered.renderable is self.content:
            return rendered
        return super().render()  # type: ignore[return-value]
