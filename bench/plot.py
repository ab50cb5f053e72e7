"""Throughput against concurrency as a PNG, drawn as SVG and rendered by
the headless Chromium the browser tests already use (no plotting library
needed)."""
import html
import math
import os
import subprocess
import tempfile

COLOURS = ["#444444", "#1f77b4", "#2ca02c", "#d62728", "#ff7f0e", "#9467bd", "#8c564b",
           "#e377c2", "#17becf", "#bcbd22"]
W, H, L, R, T, B = 1000, 540, 80, 290, 50, 60


def _nice_max(v):
    if v <= 0:
        return 1
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * e >= v:
            return m * e
    return 10 * e


def svg(series, title, xlabel="concurrent connections", ylabel="requests per second"):
    """series: list of (name, [(x, y), ...]); x on a log2 axis."""
    xs = sorted({x for _, pts in series for x, _ in pts})
    ymax = _nice_max(max((y for _, pts in series for _, y in pts), default=1))
    lx0, lx1 = math.log2(xs[0]), math.log2(xs[-1]) if len(xs) > 1 else math.log2(xs[0]) + 1
    px = lambda x: L + (math.log2(x) - lx0) / ((lx1 - lx0) or 1) * (W - L - R)
    py = lambda y: H - B - y / ymax * (H - T - B)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="DejaVu Sans, sans-serif" font-size="13">' % (W, H),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="28" font-size="16" font-weight="bold">%s</text>' % (L, html.escape(title))]
    for i in range(6):
        y = ymax * i / 5
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (L, W - R, py(y), py(y)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (L - 6, py(y) + 4, "{:,.0f}".format(y)))
    for x in xs:
        out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/>' % (px(x), px(x), T, H - B))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (px(x), H - B + 18, x))
    out.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % ((L + W - R) / 2, H - 15, xlabel))
    out.append('<text transform="translate(18,%d) rotate(-90)" text-anchor="middle">%s</text>'
               % ((T + H - B) / 2, ylabel))
    for i, (name, pts) in enumerate(series):
        c = COLOURS[i % len(COLOURS)]
        pts = sorted(pts)
        out.append('<polyline fill="none" stroke="%s" stroke-width="2.5" points="%s"/>'
                   % (c, " ".join("%.1f,%.1f" % (px(x), py(y)) for x, y in pts)))
        for x, y in pts:
            out.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>' % (px(x), py(y), c))
        ly = T + 20 + i * 24
        out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"/>'
                   % (W - R + 15, W - R + 40, ly, ly, c))
        out.append('<text x="%d" y="%d">%s</text>' % (W - R + 46, ly + 4, html.escape(name)))
    out.append("</svg>")
    return "\n".join(out)


def png(series, title, path):
    """Write the plot to path (PNG); returns path, or None without Chromium."""
    chromium = "/usr/bin/chromium"
    if not os.path.exists(chromium):
        return None
    with tempfile.TemporaryDirectory() as d:
        page = os.path.join(d, "plot.html")
        with open(page, "w") as f:
            f.write('<html><body style="margin:0">%s</body></html>' % svg(series, title))
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--user-data-dir=" + os.path.join(d, "prof"),
                        "--window-size=%d,%d" % (W, H), "--screenshot=" + os.path.abspath(path),
                        "file://" + page], check=True, capture_output=True, timeout=120)
    return path
