"""Every screen a class uses, in Chromium: a phone with touch and a phone's user agent, a tablet
with the sidebar open as Streamlit leaves it, a 1024x768 projector in presentation mode and a
desktop. The canvas, the buttons and the numbers are whole and inside the window; on the phone the
Decision is on the same screen as the drawing and a swipe over a chart scrolls the page; on the
projector the buttons, the numbers and the first charts show together, their text as large as the
page's. In the light and the dark theme, the charts' text and marks keep WCAG AA contrast against
the page, and an empty pixel of x·w is the page itself."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from harness.browser import decision
from harness.screens import (BOX_JS, LAYOUTS, METRIC_BOX_JS, PROBLEMS_JS, SCROLLED_JS, draw_three, open_page,
                             open_train, swipe_up)
from mnist37.figures.style import contrast, over, rgba

pytestmark = pytest.mark.browser


def y_range(page, selector: str):
    return page.evaluate("(sel) => { const d = document.querySelector(sel); "
                         "return d && d._fullLayout ? d._fullLayout.yaxis.range : null; }", selector)


def assert_swipe_scrolls(context, page, selector: str) -> None:
    """A finger swiping up over the chart scrolls the page, and leaves the chart's axes alone."""
    page.locator(selector).first.scroll_into_view_if_needed()
    box = page.evaluate(BOX_JS, selector)
    before, axis = page.evaluate(SCROLLED_JS), y_range(page, selector)
    swipe_up(context, page, (box["left"] + box["right"]) / 2, box["top"] + 0.8 * (box["bottom"] - box["top"]))
    page.wait_for_timeout(500)
    assert page.evaluate(SCROLLED_JS) > before + 100, f"a swipe over {selector} did not scroll the page"
    assert y_range(page, selector) == axis, f"a swipe over {selector} zoomed the chart"


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_each_screen_shows_the_canvas_buttons_and_numbers_whole(server, browser, name):
    kwargs, query = LAYOUTS[name]
    width, height = kwargs["viewport"]["width"], kwargs["viewport"]["height"]
    context = browser.new_context(**kwargs)
    page = context.new_page()

    open_page(page, f"{server.url}/draw{query}", "canvas.upper-canvas")
    draw_three(context, page, touch=kwargs.get("has_touch", False))
    assert decision(page) == "3"
    assert page.evaluate(PROBLEMS_JS) == []
    canvas = page.evaluate(BOX_JS, "canvas.upper-canvas")
    assert 0 <= canvas["left"] and canvas["right"] <= width and canvas["right"] - canvas["left"] == 280
    numbers = [page.evaluate(METRIC_BOX_JS, label) for label in ("Logit", "Probability", "Decision")]
    assert all(0 <= m["left"] and m["right"] <= width for m in numbers)
    if name == "phone":  # the drawing and its Decision on one screen: a stroke shows its result
        assert numbers[2]["bottom"] - canvas["bottom"] <= height
        assert numbers[2]["bottom"] - canvas["top"] <= height
        assert page.locator(".modebar").count() == 0  # no plotly toolbar over the labels
        assert_swipe_scrolls(context, page, ".st-key-draw_contrib .js-plotly-plot")

    open_train(page, f"{server.url}/train{query}")
    assert page.evaluate(PROBLEMS_JS) == []
    for label in ("Train", "Step", "Epoch", "Reset"):
        button = page.get_by_role("button", name=label, exact=True).bounding_box()
        assert 0 <= button["x"] and button["x"] + button["width"] <= width, label
    if name == "projector":  # the buttons, the four numbers and the first row of charts on one screen
        assert page.evaluate(SCROLLED_JS) == 0
        train = page.get_by_role("button", name="Train", exact=True).bounding_box()
        steps = page.evaluate(METRIC_BOX_JS, "Step")
        first = page.evaluate(BOX_JS, ".live-plot")
        assert train["y"] >= 0 and steps["bottom"] <= height and first["bottom"] <= height, (train, steps, first)
        tick = page.evaluate("() => getComputedStyle(document.querySelector('.live-plot .xtick text')).fontSize")
        assert float(tick.rstrip("px")) >= 16  # chart text grows with the page's (22 px for 16)
    if name == "phone":
        assert_swipe_scrolls(context, page, ".live-plot")
    assert page.locator('[data-testid="stException"]').count() == 0
    context.close()


# Every chart's text and marks with the colour it is drawn in (its own opacity and its parents'
# folded in) and the colour behind it: an annotation's box, or the page. Text on heatmap cells and
# hover labels are left out (the cells are their background; hover labels come and go).
CHART_COLOURS_JS = """() => {
  const page = getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor;
  const alpha = (e, own) => { let a = parseFloat(getComputedStyle(e)[own] || 1);
    for (let p = e; p && p.tagName !== 'svg'; p = p.parentElement) a *= parseFloat(getComputedStyle(p).opacity || 1);
    return a; };
  const rgba = (c, a) => { const m = c.match(/[\\d.]+/g); if (!m) return null;
    return `rgba(${m[0]}, ${m[1]}, ${m[2]}, ${(m.length > 3 ? parseFloat(m[3]) : 1) * a})`; };
  const texts = [], marks = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const where = plot.closest('[class*="st-key-"]')?.className.match(/st-key-\\S+/)?.[0] || 'live';
    for (const t of plot.querySelectorAll('text')) {
      if (!t.textContent.trim() || t.closest('.hoverlayer, .heatmaplayer')) continue;
      const box = t.closest('.annotation')?.querySelector('rect.bg'), fill = box && getComputedStyle(box).fill;
      const bg = box && fill !== 'none' ? rgba(fill, alpha(box, 'fillOpacity')) : null;
      const colour = rgba(getComputedStyle(t).fill, alpha(t, 'fillOpacity'));
      texts.push({where, text: t.textContent.slice(0, 30), colour, bg});
    }
    for (const l of plot.querySelectorAll('.scatterlayer .js-line, .shapelayer path')) {
      const s = getComputedStyle(l);
      if (s.stroke === 'none' || !parseFloat(s.strokeWidth)) continue;
      marks.push({where, what: 'line', colour: rgba(s.stroke, alpha(l, 'strokeOpacity'))});
    }
    for (const p of plot.querySelectorAll('.scatterlayer .point')) {
      const s = getComputedStyle(p), filled = s.fill !== 'none' && !/, 0\\)$/.test(s.fill);
      const colour = filled ? rgba(s.fill, alpha(p, 'fillOpacity')) : rgba(s.stroke, alpha(p, 'strokeOpacity'));
      if (colour) marks.push({where, what: 'marker', colour});  // an invisible hover target has neither
    }
  }
  return {page, texts, marks};
}"""

# The colour on screen at the top-left corner of a heatmap (an empty pixel in an MNIST digit).
CORNER_JS = """(sel) => { const i = document.querySelector(sel + ' .heatmaplayer image');
  if (!i) return null;
  const r = i.getBoundingClientRect();
  return {x: r.left + 2, y: r.top + 2, width: 2, height: 2}; }"""


def check_colours(page, where: str) -> list[str]:
    found = page.evaluate(CHART_COLOURS_JS)
    bg = found["page"]
    assert found["texts"] and found["marks"], f"no chart text or marks found on {where}"
    bad = []
    for t in found["texts"]:
        behind = bg if t["bg"] is None else "rgb({}, {}, {})".format(*over(t["bg"], bg))
        if contrast(t["colour"], behind) < 4.5:
            bad.append(f"{where} {t['where']}: text {t['text']!r} {t['colour']} on {behind}: "
                       f"{contrast(t['colour'], behind):.2f}")
    for m in found["marks"]:
        if contrast(m["colour"], bg) < 3:
            bad.append(f"{where} {m['where']}: {m['what']} {m['colour']} on {bg}: {contrast(m['colour'], bg):.2f}")
    return bad


def empty_pixel_is_the_page(page, selector: str) -> None:
    clip = page.evaluate(CORNER_JS, selector)
    assert clip, f"no heatmap in {selector}"
    pixel = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB").getpixel((1, 1))
    want = rgba(page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]'))"
                              ".backgroundColor"))[:3]
    assert all(abs(a - b) <= 3 for a, b in zip(pixel, want)), (selector, pixel, want)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chart_text_and_marks_keep_their_contrast_in_both_themes(server, browser, scheme):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    bad = []
    open_page(page, server.url + "/", ".st-key-home_products .js-plotly-plot")
    page.wait_for_timeout(500)
    bad += check_colours(page, "Home")
    empty_pixel_is_the_page(page, ".st-key-home_products")

    open_page(page, f"{server.url}/draw", "canvas.upper-canvas")
    draw_three(context, page, touch=False)
    page.wait_for_selector(".st-key-draw_contrib .js-plotly-plot", timeout=60_000)
    page.wait_for_timeout(500)
    bad += check_colours(page, "Draw")
    empty_pixel_is_the_page(page, ".st-key-draw_contrib")

    open_train(page, f"{server.url}/train")
    page.get_by_role("button", name="Epoch", exact=True).click()  # curves with points and lines
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
                           ".some(e => e.innerText.includes('1 / 20'))", timeout=60_000)
    page.wait_for_timeout(1000)
    bad += check_colours(page, "Train")
    assert bad == [], '\n'.join(bad)
    context.close()
