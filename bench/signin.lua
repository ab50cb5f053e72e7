-- POSTs prepared sign-ins (one per line of the file named by the first
-- argument: cookie TAB urlencoded body) to the path given as the second
-- argument, each at most once, spread over the wrk threads (third argument:
-- how many).  Connections left over after the last one fetch a static file
-- rather than replay a used response, which would be refused fast and blur
-- the figures.  Results are read from httpd's access log (common.py).
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  path = args[2]
  items, i = {}, 0
  local nthreads, n = tonumber(args[3]), 0
  for line in io.lines(args[1]) do
    if n % nthreads == tid then
      local tab = line:find("\t", 1, true)
      table.insert(items, {line:sub(1, tab - 1), line:sub(tab + 1)})
    end
    n = n + 1
  end
end

function request()
  i = i + 1
  if i > #items then return wrk.format("GET", "/open/small.html") end
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  if #items[i][1] > 0 then headers["Cookie"] = items[i][1] end
  return wrk.format("POST", path, headers, items[i][2])
end
