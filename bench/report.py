"""bench/out/results.md from the results of run.py."""


def _fmt(v, digits=0):
    return "{:,.{}f}".format(v, digits) if isinstance(v, (int, float)) else str(v)


def machine(m):
    return ("Machine: %s, %s cores, %s GiB RAM, Linux %s; %s; wrk %s; %s.\n"
            % (m["cpu"], m["cores"], m["mem_gib"], m["kernel"], m["apache"], m["wrk"], m["date"]))


def throughput(rows, conns):
    out = ["## Authenticated GET of a small static file (%d connections)\n" % conns,
           "| server | without authentication (req/s) | authenticated (req/s) | ratio | ratio per round | server CPU per request, µs (without / with) | failed requests |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            out.append("| %s | – | – | did not run: %s | | | |" % (r["subject"], r["error"]))
        else:
            rounds = r.get("rounds") or [r["ratio"]]
            out.append("| %s | %s | %s | **%.2f** | %.2f–%.2f | %s / %s | %d |" % (
                r["subject"], _fmt(r["open_rps"]), _fmt(r["auth_rps"]), r["ratio"],
                min(rounds), max(rounds), _fmt(r.get("cpu_us_open", "–"), 1),
                _fmt(r.get("cpu_us_auth", "–"), 1), r.get("non2xx", 0) + r.get("errors", 0)))
    return "\n".join(out) + "\n"


def sweep(series):
    levels = sorted({c for _, pts in series for c, _ in pts})
    out = ["## Throughput against concurrency (req/s)\n",
           "| server | " + " | ".join("%d" % c for c in levels) + " |",
           "|---|" + "---:|" * len(levels)]
    for name, pts in series:
        d = dict(pts)
        out.append("| %s | " % name + " | ".join(_fmt(d.get(c, "")) for c in levels) + " |")
    return "\n".join(out) + "\n"


def signin(rows):
    ref = {r["conns"]: r["per_s"] for r in rows
           if r.get("subject") == "mod_auth_mellon" and r.get("per_s")}
    out = ["## Sign-ins through the ACS\n",
           "Each a fresh AuthnRequest and a signed Entra-shaped response for a distinct "
           "user, POSTed by wrk; rate and time from httpd's access log.\n",
           "| server | connections | sign-ins | sign-ins/s | ms per sign-in (mean) | × mellon |",
           "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            out.append("| %s | | | did not run: %s | | |" % (r["subject"], r["error"]))
            continue
        x = r["per_s"] / ref[r["conns"]] if ref.get(r["conns"]) else None
        out.append("| %s | %d | %d/%d | %s | %.2f | %s |" % (
            r["subject"], r["conns"], r["ok"], r["posted"], _fmt(r["per_s"]), r["mean_ms"],
            "%.1f" % x if x else "–"))
    return "\n".join(out) + "\n"


def memory(m):
    out = ["## Memory per session\n"]
    for label, v in m.get("redis", {}).items():
        out.append("- %s: session record %s bytes; everything one sign-in leaves in the "
                   "store (session, NameID index, replay entry) %s bytes of data + %d-byte keys."
                   % (label, _fmt(v["session_record"]), _fmt(v["total_data"]), v["key_bytes"]))
    c = m.get("shmcb")
    if c:
        out.append("- shmcb, measured: a %s-byte segment filled with %d sign-ins keeps %d "
                   "sessions alive: **%s bytes per session** including shmcb's index and the "
                   "outstanding requests. The default 32 MiB store holds about %s sessions; "
                   "100,000 sessions need about %s MiB; 256 MiB holds about %s."
                   % (_fmt(c["segment_bytes"]), c["signins"], c["live_sessions"],
                      _fmt(c["bytes_per_session"]), _fmt(c.get("default_32MiB")),
                      _fmt(c.get("for_100k_MiB")), _fmt(c.get("in_256MiB"))))
    return "\n".join(out) + "\n"


def markdown(res):
    parts = ["# mod_sipsso benchmark results\n", machine(res["machine"])]
    if "throughput" in res:
        parts.append(throughput(res["throughput"], res["args"]["conns"]))
        parts.append(sweep(res["sweep"]))
    if "signin" in res:
        parts.append(signin(res["signin"]))
    if "memory" in res:
        parts.append(memory(res["memory"]))
    if "vhosts" in res:
        import vhosts
        parts.append("## Startup with many virtual hosts\n\n" + vhosts.table(res["vhosts"]))
    if "load" in res:
        import load
        for store, r in res["load"].items():
            parts.append("## Load: 64 clients, 60 s, %s\n\n" % store + load.markdown(r))
    return "\n".join(parts)
