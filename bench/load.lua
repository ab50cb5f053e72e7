-- wrk script for bench/load.py: authenticated GETs that cycle over the
-- session cookies made in the warm-up, counting responses by status class
-- per thread (wrk's own "Non-2xx or 3xx" lumps 3xx, 4xx and 5xx together).
--
--   wrk -t2 -c64 -d60s -s bench/load.lua http://127.0.0.1:PORT -- COOKIEFILE [PATH] [COOKIENAME]
--
-- COOKIEFILE holds one session id per line.  done() prints one line
--   LOADSTATUS 2xx=.. 3xx=.. 4xx=.. 5xx=.. 503=.. other=.. first5xx=.. last5xx=..
-- (first/last 5xx as Unix seconds, 0 when there was none) and
--   LOADHIST5 <unix second>:<5xx count>,...
-- for load.py to parse.

local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   cookies = {}
   for line in io.lines(args[1]) do
      if #line > 0 then cookies[#cookies + 1] = line end
   end
   n = #cookies
   path = args[2] or "/app/small.html"
   cname = args[3] or "sipsso"
   -- threads start at different points of the list
   idx = ((tid or 1) - 1) * math.floor(n / 2)
   c2, c3, c4, c5, c503, cother = 0, 0, 0, 0, 0, 0
   first5xx, last5xx = 0, 0
   h5 = {}      -- Unix second -> 5xx count
end

function request()
   idx = idx % n + 1
   return wrk.format("GET", path, { ["Cookie"] = cname .. "=" .. cookies[idx] })
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      c2 = c2 + 1
   elseif status >= 300 and status < 400 then
      c3 = c3 + 1
   elseif status >= 400 and status < 500 then
      c4 = c4 + 1
   elseif status >= 500 and status < 600 then
      c5 = c5 + 1
      if status == 503 then c503 = c503 + 1 end
      local t = os.time()
      if first5xx == 0 then first5xx = t end
      last5xx = t
      h5[t] = (h5[t] or 0) + 1
   else
      cother = cother + 1
   end
end

function done(summary, latency, requests)
   local t = { c2 = 0, c3 = 0, c4 = 0, c5 = 0, c503 = 0, cother = 0 }
   local f5, l5 = 0, 0
   local h = {}
   for _, thread in ipairs(threads) do
      for sec, c in pairs(thread:get("h5") or {}) do h[sec] = (h[sec] or 0) + c end
      for k, _ in pairs(t) do
         t[k] = t[k] + (thread:get(k) or 0)
      end
      local f, l = thread:get("first5xx") or 0, thread:get("last5xx") or 0
      if f > 0 and (f5 == 0 or f < f5) then f5 = f end
      if l > l5 then l5 = l end
   end
   io.write(string.format(
      "LOADSTATUS 2xx=%d 3xx=%d 4xx=%d 5xx=%d 503=%d other=%d first5xx=%d last5xx=%d\n",
      t.c2, t.c3, t.c4, t.c5, t.c503, t.cother, f5, l5))
   local secs = {}
   for sec, _ in pairs(h) do secs[#secs + 1] = sec end
   table.sort(secs)
   local parts = {}
   for _, sec in ipairs(secs) do parts[#parts + 1] = string.format("%d:%d", sec, h[sec]) end
   io.write("LOADHIST5 " .. table.concat(parts, ",") .. "\n")
end
